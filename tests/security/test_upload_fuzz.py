"""Hostile uploads through the comms portal's draft form: whatever the bytes, the
answer is the form again with a clear message, or a saved draft with a re-encoded,
metadata-free image. Never a 500."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from advocacy.drafts.models import Draft

pytestmark = pytest.mark.django_db
FORM = {
    "title": "Launch",
    "body": "Our new robot ships today.",
    "language": "en",
    "networks": ["bluesky"],
    "image_alt": "A red square",
}
# What the person is told: the formats Candor takes, the pixel limit, or that the file is empty.
MESSAGES = ("JPEG, PNG, WebP or GIF", "too many pixels", "file is empty")


def encoded(fmt: str, mode: str = "RGB", size: tuple[int, int] = (8, 6), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color=1 if mode in {"1", "P", "L", "I;16"} else (200, 30, 30)[: len(mode)]).save(
        out, fmt, **save
    )
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its (empty) data does not have."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = struct.pack(">I", 0) + b"IDAT" + struct.pack(">I", zlib.crc32(b"IDAT"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def with_exif(jpeg_mode: str = "RGB") -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 0.0)}  # GPS
    return encoded("JPEG", jpeg_mode, exif=exif.tobytes())


VALID = [
    encoded("PNG"),
    encoded("PNG", "RGBA"),
    encoded("PNG", "P"),
    encoded("PNG", "I;16"),
    encoded("PNG", "1"),
    encoded("GIF", "P"),
    encoded("WEBP"),
    encoded("JPEG"),
    encoded("JPEG", "CMYK"),
    encoded("JPEG", "L"),
    with_exif(),
]
HOSTILE = {
    "empty": b"",
    "text": b"hello, this is not an image",
    "svg with script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": b"<!DOCTYPE html><script>alert(1)</script>",
    "zip": b"PK\x03\x04" + b"\x00" * 40,
    "png magic only": b"\x89PNG\r\n\x1a\n",
    "jpeg magic only": b"\xff\xd8\xff",
    "gif magic only": b"GIF89a",
    "webp magic only": b"RIFF\x10\x00\x00\x00WEBPVP8 ",
    "truncated png": VALID[0][:40],
    "truncated jpeg": VALID[7][: len(VALID[7]) // 2],
    "png claiming 100000 x 100000": png_claiming(100_000, 100_000),
    "png claiming 0 x 0": png_claiming(0, 0),
    "tiff": encoded("TIFF"),
    "bmp": encoded("BMP"),
    "ico": encoded("ICO", size=(16, 16)),
    "pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
}


def post_image(client, data: bytes, name: str = "photo.png"):
    upload = SimpleUploadedFile(name, data, content_type="image/png")
    return client.post("/comms/drafts/new/", {**FORM, "image": upload})


def assert_handled(response) -> None:
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:  # the form again, saying what is wrong
        assert "image" in response.content.decode().lower()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_message(client, author, name):
    client.force_login(author)

    response = post_image(client, HOSTILE[name])

    assert response.status_code == 200, name
    assert any(message in response.content.decode() for message in MESSAGES), name
    assert not Draft.objects.exists()


@pytest.mark.parametrize("index", range(len(VALID)))
def test_real_images_are_accepted_and_re_encoded(client, author, index):
    client.force_login(author)

    response = post_image(client, VALID[index])

    assert response.status_code == 302
    draft = Draft.objects.get()
    with Image.open(draft.working_version.image.open("rb")) as stored:
        assert stored.format in {"PNG", "JPEG", "WEBP"}
        assert not stored.getexif()  # no camera make, no GPS position


def test_an_oversized_file_is_refused_with_its_size(client, author):
    client.force_login(author)

    response = post_image(client, VALID[0] + b"\x00" * (5 * 1024 * 1024))

    assert response.status_code == 200
    assert "MB" in response.content.decode()
    assert not Draft.objects.exists()


def mutated(image: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    data = bytearray(image)
    for position, value in edits:
        data[position % len(data)] = value
    return bytes(data[: max(cut, 1)])


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.binary(max_size=4096), name=st.sampled_from(["a.png", "a.jpg", "a", "../../etc/passwd", "ü.webp"]))
def test_arbitrary_bytes_never_cause_a_server_error(client, author, data, name):
    client.force_login(author)

    assert_handled(post_image(client, data, name))


@FUZZ
@given(
    image=st.sampled_from(VALID),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=12),
    cut=st.integers(1, 10_000),
)
def test_damaged_real_images_never_cause_a_server_error(client, author, image, edits, cut):
    client.force_login(author)

    assert_handled(post_image(client, mutated(image, edits, cut)))
