"""Reading an invitation CSV: the file's own rules (size, encoding, header, number of
rows) and each row's (email, language, time zone, duplicates in the file). Every
message names the rule that was broken, in the reader's language.

Nothing here touches the database: whether someone is already in Candor is checked
by ``advocacy.invitations.selectors.invitations_preview``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

from accounts.sso import allowed_domains
from advocacy.core.errors import ApplicationError
from advocacy.invitations.teams import checked_team_name

COLUMNS = ("email", "name", "team", "language", "time_zone")
# Header spellings people type, mapped to the column they mean.
HEADER_ALIASES = {"e_mail": "email", "mail": "email", "display_name": "name", "timezone": "time_zone"}
NAME_MAX = 150  # accounts.User.display_name
EMAIL_MAX = 254  # accounts.User.email (RFC 5321)


@dataclass
class InvitationRow:
    """One person in the file; ``line`` is the line number a spreadsheet shows."""

    line: int
    email: str
    name: str = ""
    team: str = ""
    language: str = ""
    time_zone: str = ""
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class InvitationPreview:
    rows: list[InvitationRow] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> list[InvitationRow]:
        return [] if self.file_problems else [row for row in self.rows if not row.problems]

    @property
    def refused(self) -> list[InvitationRow]:
        return [row for row in self.rows if row.problems]


def invitation_csv_read(*, data: bytes) -> InvitationPreview:
    """The rows of an uploaded file with each row's problems, or the file's problems
    (then no row can be invited). Never raises for bad input."""
    limit = settings.CANDOR_INVITE_MAX_BYTES
    if len(data) > limit:
        return _refused(
            gettext("The file is larger than %(limit)s, the most one upload may hold. Split it into smaller files.")
            % {"limit": filesizeformat(limit)}
        )
    text = _decoded(data)
    if isinstance(text, InvitationPreview):
        return text
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return _refused(gettext("The file is empty. The first line must name the columns: %(columns)s.") % _columns())
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(lines[0]))
    try:
        header = _header(next(reader))
        if isinstance(header, str):
            return _refused(header)
        rows = [_row(reader.line_num, header, cells) for cells in reader if any(cell.strip() for cell in cells)]
    except csv.Error:  # a value longer than the csv module's field limit (128 KiB)
        return _refused(
            gettext("Line %(line)d cannot be read as CSV: a value is far too long, or a quote is never closed.")
            % {"line": reader.line_num}
        )
    if len(rows) > settings.CANDOR_INVITE_MAX_ROWS:
        return _refused(
            gettext("The file lists %(count)d people; one upload may invite at most %(limit)d. Split it.")
            % {"count": len(rows), "limit": settings.CANDOR_INVITE_MAX_ROWS}
        )
    first_line: dict[str, int] = {}
    for row in rows:
        if row.email and row.email in first_line:
            row.problems.append(
                gettext("The same email address as line %(line)d: each person is invited once.")
                % {"line": first_line[row.email]}
            )
        first_line.setdefault(row.email, row.line)
    return InvitationPreview(rows=rows)


def row_problems(row: InvitationRow) -> list[str]:
    """What is wrong with one row's values, whatever file it came from (the confirm
    step asks again, so a stored preview cannot smuggle a bad value in)."""
    problems = []
    if not row.email:
        problems.append(gettext("The email address is missing: every row needs one."))
    else:
        problems.extend(_email_problems(row.email))
    if len(row.name) > NAME_MAX:
        problems.append(gettext("The name is longer than %(max)d characters.") % {"max": NAME_MAX})
    try:
        checked_team_name(row.team)
    except ApplicationError as exc:
        problems.append(exc.message)
    if row.language and row.language not in _languages():
        problems.append(
            gettext("Unknown language “%(value)s”: use one of %(choices)s.")
            % {"value": row.language, "choices": ", ".join(sorted(_languages()))}
        )
    if row.time_zone and row.time_zone not in _time_zones().values():
        problems.append(
            gettext("Unknown time zone “%(value)s”: use a name such as Europe/Berlin or Asia/Jakarta.")
            % {"value": row.time_zone}
        )
    return problems


def _email_problems(email: str) -> list[str]:
    try:
        validate_email(email)
    except ValidationError:
        return [gettext("“%(email)s” is not a valid email address.") % {"email": email}]
    if len(email) > EMAIL_MAX:
        return [gettext("The email address is longer than %(max)d characters.") % {"max": EMAIL_MAX}]
    domains = allowed_domains()
    if domains and email.rsplit("@", 1)[-1] not in domains:
        return [
            gettext("“%(email)s” is not at one of the organisation's email domains (%(domains)s).")
            % {"email": email, "domains": ", ".join(domains)}
        ]
    return []


def _refused(problem: str) -> InvitationPreview:
    return InvitationPreview(file_problems=[problem])


def _columns() -> dict[str, str]:
    return {"columns": ", ".join(COLUMNS)}


def _decoded(data: bytes) -> str | InvitationPreview:
    not_csv = gettext(
        "This is not a CSV text file (it looks like a spreadsheet workbook). "
        "Save it as “CSV UTF-8 (comma delimited)” and upload that."
    )
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx (zip) and old .xls
        return _refused(not_csv)
    try:
        text = data.decode("utf-16") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused(
            gettext(
                "The file is not UTF-8 text, so names with accents would come out wrong. "
                "Save it as “CSV UTF-8” and upload it again."
            )
        )
    return _refused(not_csv) if "\x00" in text else text


def _delimiter(header_line: str) -> str:
    """Spreadsheets in German or Italian save CSV with semicolons."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _header(cells: list[str]) -> list[str] | str:
    names = [HEADER_ALIASES.get(key, key) for key in (_key(cell) for cell in cells)]
    unknown = [cell for cell, name in zip(cells, names, strict=True) if name not in COLUMNS]
    if unknown or "email" not in names or len(set(names)) != len(names):
        return gettext(
            "The first line must name the columns: %(columns)s (email is required, the others may be left out). "
            "This file's first line is: %(found)s."
        ) % {**_columns(), "found": ", ".join(cells)[:200]}
    return names


def _key(cell: str) -> str:
    return cell.strip().lower().replace("-", "_").replace(" ", "_")


def _row(line: int, header: list[str], cells: list[str]) -> InvitationRow:
    values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
    row = InvitationRow(
        line=line,
        email=values.get("email", "").lower(),
        name=values.get("name", ""),
        team=values.get("team", ""),
        language=_language(values.get("language", "")),
        time_zone=_time_zones().get(values.get("time_zone", "").lower(), values.get("time_zone", "")),
    )
    if any(cell.strip() for cell in cells[len(header) :]):
        row.problems.append(
            gettext("This line has %(found)d values, but the first line names %(expected)d columns.")
            % {"found": len(cells), "expected": len(header)}
        )
    row.problems.extend(row_problems(row))
    return row


def _language(value: str) -> str:
    """``DE``, ``de-DE`` and ``de_DE`` all mean German."""
    code = value.strip().lower().replace("_", "-")
    for candidate in (code, code.split("-")[0]):
        if candidate in _languages():
            return candidate
    return value.strip()


def _languages() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


@cache
def _time_zones() -> dict[str, str]:
    """Every time zone name by its lower-case spelling (people type europe/berlin)."""
    return {name.lower(): name for name in (*available_timezones(), "UTC")}
