"""Uploaded images are checked, re-encoded and stripped of metadata (EXIF can carry
a phone's GPS position) before anything stores them."""

from __future__ import annotations

import io
import struct

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.http import Http404
from django.utils.translation import gettext
from PIL import Image, ImageOps, UnidentifiedImageError

from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.core.errors import ValidationFailed
from advocacy.drafts.models import Draft, DraftVersion

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
IMAGE_FOLDER = "drafts/"  # DraftVersion.image's upload_to
# Who sees unpublished images: those who write and review drafts, and programme admins.
IMAGE_REVIEWERS = (Capability.WRITE_DRAFTS, Capability.REVIEW_DRAFTS, Capability.MANAGE_PROGRAM)
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"image": [message]})


def image_clean(*, upload: UploadedFile) -> SimpleUploadedFile:
    if upload.size and upload.size > MAX_IMAGE_BYTES:
        raise _refuse(
            gettext("The image is %(size)s KB; the limit is %(limit)s MB.")
            % {"size": upload.size // 1024, "limit": MAX_IMAGE_BYTES // 1024 // 1024}
        )
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise _refuse(gettext("The image is larger than %(limit)s MB.") % {"limit": MAX_IMAGE_BYTES // 1024 // 1024})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise _refuse(gettext("The image has too many pixels (at most 40 megapixels)."))
        fmt = image.format or ""
        if fmt not in ALLOWED_FORMATS:
            raise _refuse(
                gettext("Images must be JPEG, PNG, WebP or GIF; this is %(format)s.")
                % {"format": fmt or gettext("not an image")}
            )
        image.load()
        # Apply the EXIF orientation before EXIF is dropped, or phone photos end up sideways.
        image = ImageOps.exif_transpose(image)
    except ValidationFailed:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        IndexError,
        struct.error,
        Image.DecompressionBombError,
    ):
        # A damaged file can fail anywhere inside a decoder; every such failure means
        # "not an image we can read", never a server error.
        raise _refuse(gettext("This file is not an image Candor can read (JPEG, PNG, WebP or GIF).")) from None
    out = io.BytesIO()
    try:
        if fmt == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
        else:
            # Re-encoding drops EXIF/XMP and any trailing payload; keep transparency.
            fmt = "PNG" if fmt in {"PNG", "GIF"} else "WEBP"
            image.save(out, fmt)
    except (OSError, ValueError) as exc:
        raise _refuse(gettext("This file is not an image Candor can read (JPEG, PNG, WebP or GIF).")) from exc
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
    stem = (upload.name or "image").rsplit(".", 1)[0][:60] or "image"
    return SimpleUploadedFile(f"{stem}.{extension}", out.getvalue(), content_type=ALLOWED_FORMATS[fmt])


def draft_image_for_user(*, user: User, name: str) -> str:
    """The stored name of the draft image ``name`` if ``user`` may see it; a 404 otherwise.

    The comms team and programme admins see the image of any draft version (they
    write and review them); anyone else signed in only an image of a post published
    now. A 404, never a 403, so the names of unpublished images cannot be probed.
    The caller makes sure ``user`` is signed in."""
    if not name.startswith(IMAGE_FOLDER):
        raise Http404("No such image.")
    if any(user_can(user, capability) for capability in IMAGE_REVIEWERS):
        visible = DraftVersion.objects.filter(image=name).exists()
    else:
        visible = (
            Draft.objects.filter(published_version__image=name, state=Draft.State.PUBLISHED)
            .exclude(published_version__isnull=True)
            .exists()
        )
    if not visible:
        raise Http404("No such image.")
    return name
