"""Words written in Python (labels, choices, messages) are translated like template
words: every string passed to gettext and its kin in advocacy/ and accounts/ has a
translation in each catalogue. The catalogues are read as files, so makemessages is
not needed to notice a new string."""

from __future__ import annotations

import ast
from pathlib import Path

import polib
import pytest

from advocacy.audit.actions import AuditAction, Via
from advocacy.portal import labels

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("de", "id", "it")
SINGULAR = {"gettext", "gettext_lazy", "gettext_noop", "_", "_lazy", "gettext_noop_lazy"}
PLURAL = {"ngettext", "ngettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_messages() -> dict[tuple[str, str], list[str]]:
    """(context, msgid) -> where it is written, for every literal given to a gettext function."""
    found: dict[tuple[str, str], list[str]] = {}
    for folder in ("advocacy", "accounts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if name in SINGULAR or name in PLURAL:
                    msgid = _literal(node.args[0])
                    if msgid:
                        found.setdefault(("", msgid), []).append(where)
                elif name in CONTEXT and len(node.args) >= 2:
                    context, msgid = _literal(node.args[0]), _literal(node.args[1])
                    if context is not None and msgid:
                        found.setdefault((context, msgid), []).append(where)
    return found


def test_the_extractor_finds_python_strings():
    messages = {msgid for _, msgid in python_messages()}
    assert "Join the programme before sharing." in messages  # gettext in a service
    assert "Signed in" in messages  # an audit action's label
    assert len(messages) > 200


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_python_string_is_translated(language):
    po = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    entries = {(e.msgctxt or "", e.msgid): e for e in po if not e.obsolete}
    missing = [
        f"{msgid!r} ({where[0]})"
        for (context, msgid), where in sorted(python_messages().items())
        if not (entry := entries.get((context, msgid))) or not entry.translated() or "fuzzy" in entry.flags
    ]
    assert not missing, f"{language}: Python strings without a translation:\n  " + "\n  ".join(missing)


def test_every_audit_code_shown_to_admins_has_words():
    assert set(AuditAction.values) <= set(labels.ACTION_LABELS)
    assert set(Via.values) <= set(labels.VIA_LABELS)
    from django.apps import apps

    ours = {m._meta.label_lower for m in apps.get_models() if m.__module__.startswith(("advocacy.", "accounts."))}
    assert ours <= set(labels.TARGET_LABELS)
