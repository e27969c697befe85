"""Candor in English, German, Indonesian and Italian.

The catalogues in locale/ are complete (every entry translated, nothing fuzzy), not
stale (every string a template marks for translation is in them, found here without
gettext so a machine without it still notices), compiled (the committed .mo files say
what the .po files say), and used: pages render in the language people ask for.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format

from advocacy.drafts import services as drafts
from advocacy.program.models import Enrollment
from tests.support.scenario import publish_draft

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
TEMPLATES = ROOT / "templates"
LANGUAGES = ("de", "id", "it")


def catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def live(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


# -- (a) every entry translated, nothing fuzzy ----------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    po = catalogue(language)
    assert po.metadata.get("Language") == language
    assert not po.metadata_is_fuzzy, "the header is marked fuzzy"
    entries = live(po)
    assert len(entries) > 300, "the catalogue looks truncated"
    untranslated = [e.msgid for e in entries if not e.translated()]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    empty_plurals = [
        e.msgid for e in entries if e.msgid_plural and not all(form.strip() for form in e.msgstr_plural.values())
    ]
    assert not untranslated, f"{language}: untranslated: {untranslated}"
    assert not fuzzy, f"{language}: fuzzy: {fuzzy}"
    assert not empty_plurals, f"{language}: missing plural forms: {empty_plurals}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language):
    problems = []
    for entry in live(catalogue(language)):
        pairs = (
            [(entry.msgid_plural, form) for form in entry.msgstr_plural.values()]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for source, translated in pairs:
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                problems.append(("placeholders", source, translated))
            if sorted(TAG.findall(source)) != sorted(TAG.findall(translated)):
                problems.append(("markup", source, translated))
    assert not problems, f"{language}: {problems}"


# -- (b) the catalogues are not stale --------------------------------------------------

COMMENTS = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
TRANSLATE = re.compile(
    r"""{%\s*trans(?:late)?\s+(?P<q>["'])(?P<msgid>.*?)(?P=q)(?P<rest>[^%]*?)%}""",
    re.S,
)
BLOCK = re.compile(
    r"{%\s*blocktrans(?:late)?\b(?P<options>.*?)%}(?P<body>.*?){%\s*endblocktrans(?:late)?\s*%}",
    re.S,
)
PLURAL = re.compile(r"{%\s*plural\s*%}")
VARIABLE = re.compile(r"{{\s*(\w+)\s*}}")
CONTEXT = re.compile(r"""\bcontext\s+(["'])(.*?)\1""")
LONE_PERCENT = re.compile(r"(?<!%)%(?!%)")


def _block_msgid(body: str, *, trimmed: bool) -> str:
    """What makemessages makes of a blocktranslate body: text kept as written (``%``
    doubled), ``{{ name }}`` as ``%(name)s``, whitespace collapsed when ``trimmed``."""
    text = VARIABLE.sub(lambda m: f"\0{m.group(1)}\0", body).replace("%", "%%")
    text = re.sub(r"\0(\w+)\0", r"%(\1)s", text)
    if trimmed:
        text = re.sub(r"\s*\n\s*", " ", text.strip())
    return text


def template_messages() -> dict[tuple[str, str, str], list[str]]:
    """(context, msgid, msgid_plural) -> the templates that use it."""
    found: dict[tuple[str, str, str], list[str]] = {}
    paths = sorted([*TEMPLATES.rglob("*.html"), *TEMPLATES.rglob("*.txt")])
    for path in paths:
        source = COMMENTS.sub("", path.read_text(encoding="utf-8"))
        name = str(path.relative_to(ROOT))
        for match in TRANSLATE.finditer(source):
            if re.search(r"\bnoop\b", match["rest"]):
                continue
            context = CONTEXT.search(match["rest"])
            msgid = LONE_PERCENT.sub("%%", match["msgid"])
            found.setdefault((context[2] if context else "", msgid, ""), []).append(name)
        for match in BLOCK.finditer(source):
            options = match["options"]
            trimmed = bool(re.search(r"\btrimmed\b", options))
            context = CONTEXT.search(options)
            singular, *plural = PLURAL.split(match["body"], maxsplit=1)
            key = (
                context[2] if context else "",
                _block_msgid(singular, trimmed=trimmed),
                _block_msgid(plural[0], trimmed=trimmed) if plural else "",
            )
            found.setdefault(key, []).append(name)
    return found


def test_the_extractor_reads_the_templates():
    messages = template_messages()
    assert len(messages) > 200
    msgids = {msgid for _, msgid, _ in messages}
    assert "Skip to content" in msgids  # {% translate %}
    assert "Welcome, %(name)s" in msgids  # {% blocktranslate with %}
    assert any(plural.endswith("scheduled posts will be cancelled.") for _, _, plural in messages)  # {% plural %}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_string_is_in_the_catalogue(language):
    entries = {(e.msgctxt or "", e.msgid): e for e in live(catalogue(language))}
    missing, wrong_plural = [], []
    for (context, msgid, plural), where in sorted(template_messages().items()):
        entry = entries.get((context, msgid))
        if entry is None:
            missing.append(f"{msgid!r} ({', '.join(sorted(set(where)))})")
        elif plural and entry.msgid_plural != plural:
            wrong_plural.append(msgid)
    assert not missing, (
        f"{language}: template strings missing from locale/{language}/LC_MESSAGES/django.po; "
        "run `make messages` and translate them:\n  " + "\n  ".join(missing)
    )
    assert not wrong_plural, f"{language}: plural forms changed: {wrong_plural}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_entries_from_templates_still_exist(language):
    """The other direction: an entry makemessages took from a template is still there
    (else the template changed without `make messages`, or this extractor is wrong)."""
    extracted = {(context, msgid) for context, msgid, _ in template_messages()}
    gone = [
        e.msgid
        for e in live(catalogue(language))
        if e.occurrences
        and all(path.startswith("templates/") for path, _ in e.occurrences)
        and (e.msgctxt or "", e.msgid) not in extracted
    ]
    assert not gone, f"{language}: no template uses these any more; run `make messages`: {gone}"


# -- (c) the compiled catalogues match --------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_mo_file_is_compiled_from_the_po_file(language):
    folder = LOCALE / language / "LC_MESSAGES"
    assert (folder / "django.mo").exists(), "compile with `make messages` and commit the .mo file"
    compiled = {
        (e.msgctxt or "", e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in polib.mofile(str(folder / "django.mo"))
    }
    compiled.pop(("", ""), None)  # the header
    source = {
        (e.msgctxt or "", e.msgid): (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})
        for e in live(catalogue(language))
    }
    only_po, only_mo = sorted(set(source) - set(compiled)), sorted(set(compiled) - set(source))
    assert not only_po and not only_mo, (
        f"{language}: django.mo is out of date; run `make messages` "
        f"(only in .po: {only_po[:5]}, only in .mo: {only_mo[:5]})"
    )
    stale = [key[1] for key in source if source[key] != compiled[key]]
    assert not stale, f"{language}: django.mo says something else for {stale[:5]}; run `make messages`"


@pytest.mark.parametrize(
    ("language", "english", "expected"),
    [
        ("de", "My shares", "Meine Beiträge"),
        ("id", "My shares", "Unggahan saya"),
        ("it", "My shares", "Le mie condivisioni"),
        ("de", "Leave the programme", "Programm verlassen"),
        ("id", "Hand-back", "Pengembalian"),
        ("it", "Draft", "Bozza"),
    ],
)
def test_django_loads_the_compiled_catalogue(language, english, expected):
    with translation.override(language):
        assert translation.gettext(english) == expected


@pytest.mark.parametrize(
    ("language", "one", "many"),
    [
        ("de", "Ihr 1 geplanter Beitrag wird abgebrochen.", "Ihre 3 geplanten Beiträge werden abgebrochen."),
        ("id", "1 unggahan terjadwal Anda akan dibatalkan.", "3 unggahan terjadwal Anda akan dibatalkan."),
        ("it", "Il tuo 1 post programmato verrà annullato.", "I tuoi 3 post programmati verranno annullati."),
    ],
)
def test_plural_forms_follow_the_language(language, one, many):
    singular = "Leaving takes effect at once. Your %(n)s scheduled post will be cancelled."
    plural = "Leaving takes effect at once. Your %(n)s scheduled posts will be cancelled."
    with translation.override(language):
        assert one in translation.ngettext(singular, plural, 1) % {"n": 1}
        assert many in translation.ngettext(singular, plural, 3) % {"n": 3}


# -- (d) pages render in the language asked for ------------------------------------------


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(html.unescape(response.content.decode()).split())


# Per page: strings the translation must show, and the English it must not.
PAGES = {
    "login": {
        "en": ["Skip to content", "Candor is opt-in"],
        "de": ["Zum Inhalt springen", "Candor ist freiwillig", "Anmeldung", "Passwort"],
        "id": ["Langsung ke konten", "Candor bersifat sukarela", "Masuk", "Sandi"],
        "it": ["Vai al contenuto", "Candor è su base volontaria", "Accedi", "Password dimenticata?"],
    },
    "programme": {
        "en": ["The advocacy programme", "Leave the programme", "Posts to share", "My accounts"],
        "de": ["Das Advocacy-Programm", "Programm verlassen", "Beiträge zum Teilen", "Meine Konten"],
        "id": ["Program advokasi", "Keluar dari program", "Unggahan untuk dibagikan", "Akun saya"],
        "it": ["Il programma di advocacy", "Lascia il programma", "Post da condividere", "I miei account"],
    },
    "feed": {
        "en": ["Share this", "Sign out", "My impact"],
        "de": ["Diesen Beitrag teilen", "Abmelden", "Meine Wirkung"],
        "id": ["Bagikan ini", "Keluar", "Dampak saya"],
        "it": ["Condividi", "Esci", "Il mio impatto"],
    },
    "share": {
        "en": ["Edit freely, but the first line", "Schedule", "Loading preview", "Your post"],
        "de": ["Bearbeiten Sie den Text frei", "Planen", "Vorschau wird geladen", "Ihr Beitrag", "Jetzt"],
        "id": ["Silakan edit sesuka Anda", "Jadwalkan", "Memuat pratinjau", "Unggahan Anda", "Sekarang"],
        "it": ["Modifica liberamente", "Pianifica", "Caricamento anteprima", "Il tuo post", "Più tardi"],
    },
    "draft": {
        "en": ["Submit for review", "History", "No decisions yet.", "Retire"],
        "de": ["Zur Prüfung einreichen", "Verlauf", "Noch keine Entscheidungen.", "Zurückziehen", "Entwurf"],
        "id": ["Ajukan untuk ditinjau", "Riwayat", "Belum ada keputusan.", "Tarik", "Draf"],
        "it": ["Invia in revisione", "Cronologia", "Ancora nessuna decisione.", "Ritira", "Bozza"],
    },
}


@pytest.fixture
def pages(client, author, reviewer, account):
    """The URL of each key page, and who looks at it."""
    employee = account.owner
    shared = publish_draft(author, reviewer, title="Robots")
    unpublished = drafts.draft_create(
        actor=author, title="Next launch", content=drafts.DraftContent(body="Soon.", networks=["bluesky"])
    )
    return {
        "login": (None, "/accounts/login/"),
        "programme": (employee, "/programme/"),
        "feed": (employee, "/feed/"),
        "share": (employee, f"/feed/{shared.pk}/share/"),
        "draft": (author, f"/comms/drafts/{unpublished.pk}/"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", list(PAGES))
def test_key_pages_render_in_the_language_asked_for(client, pages, page, language):
    user, url = pages[page]
    if user is not None:
        client.force_login(user)

    text = text_of(client.get(url, HTTP_ACCEPT_LANGUAGE=language))

    wanted = PAGES[page][language]
    assert [s for s in wanted if s not in text] == [], f"{page} in {language}: missing translations"
    english = [s for s in PAGES[page]["en"] if s in text]
    assert english == [], f"{page} in {language}: still in English: {english}"


@pytest.mark.django_db
def test_key_pages_stay_english_by_default(client, pages):
    for page, (user, url) in pages.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        text = text_of(client.get(url))
        assert [s for s in PAGES[page]["en"] if s not in text] == [], page


@pytest.mark.django_db
def test_a_refused_disclosure_is_explained_in_the_language_asked_for(client, account, author, reviewer):
    shared = publish_draft(author, reviewer)
    client.force_login(account.owner)

    response = client.post(
        f"/feed/{shared.pk}/share/",
        {"text": "Robots sort parcels faster.", "accounts": [str(account.pk)], "when": "now"},
        HTTP_ACCEPT_LANGUAGE="de",
    )

    text = text_of(response)
    assert "Die Kennzeichnung fehlt: Der Beitrag muss mit „#employee · I work at Acme Robotics.“ beginnen" in text
    assert "The disclosure is missing" not in text


@pytest.mark.django_db
def test_dates_follow_the_language_and_the_persons_time_zone(client, account):
    employee = account.owner
    employee.time_zone = "Asia/Jakarta"
    employee.save(update_fields=["time_zone"])
    client.force_login(employee)
    joined = Enrollment.objects.get(user=employee).joined_at

    for language in LANGUAGES:
        text = text_of(client.get("/programme/", HTTP_ACCEPT_LANGUAGE=language))
        with translation.override(language), timezone.override("Asia/Jakarta"):
            expected = date_format(timezone.localtime(joined), "DATETIME_FORMAT")
        assert expected in text, (language, expected)


# -- choosing a language ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_person_gets_their_saved_language(client, employee):
    employee.language = "it"
    employee.save(update_fields=["language"])
    client.force_login(employee)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de")

    assert page["Content-Language"] == "it"
    assert 'lang="it"' in page.content.decode()
    assert "Post da condividere" in text_of(page)


@pytest.mark.django_db
def test_the_switcher_beats_the_saved_language(client, employee):
    employee.language = "it"
    employee.save(update_fields=["language"])
    client.force_login(employee)

    switched = client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    page = client.get("/")

    assert switched.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "id"
    assert page["Content-Language"] == "id"
    assert "Unggahan untuk dibagikan" in text_of(page)


@pytest.mark.django_db
def test_the_default_saved_language_leaves_the_browser_choice_alone(client, employee):
    assert employee.language == settings.LANGUAGE_CODE
    client.force_login(employee)

    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")

    assert page["Content-Language"] == "de"


def test_the_switcher_offers_exactly_the_four_languages():
    assert [code for code, _ in settings.LANGUAGES] == ["en", *LANGUAGES]
    assert settings.LOCALE_PATHS and Path(settings.LOCALE_PATHS[0]) == LOCALE


@pytest.mark.django_db
def test_preferences_save_language_and_time_zone(client, employee):
    client.force_login(employee)
    assert "Preferences" in text_of(client.get("/preferences/"))

    saved = client.post("/preferences/", {"language": "de", "time_zone": "Asia/Jakarta"})

    assert saved.status_code == 302
    employee.refresh_from_db()
    assert (employee.language, employee.time_zone) == ("de", "Asia/Jakarta")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    text = text_of(client.get(saved["Location"]))
    assert "Ihre Einstellungen sind gespeichert." in text
    assert "Zeitzone" in text


@pytest.mark.django_db
def test_preferences_refuse_an_unknown_language_or_time_zone(client, employee):
    client.force_login(employee)
    before = (employee.language, employee.time_zone)

    refused = client.post("/preferences/", {"language": "fr", "time_zone": "Mars/Olympus_Mons"})

    assert refused.status_code == 200
    assert refused.content.decode().count('class="errorlist"') == 2
    employee.refresh_from_db()
    assert (employee.language, employee.time_zone) == before
