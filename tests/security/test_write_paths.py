"""Every write goes through a service: the modules that sit in front of the domain
(views, the REST API, serializers, forms, the Django admin, management commands,
Celery tasks, the portal) never save, update, create or delete a model themselves.

The promises are kept in the services (and, where they are absolute, in the
database). A new admin page or command that wrote a model directly would skip them
without anyone noticing, so this test reads the source and names the line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Methods that write when they are called on a model instance or a queryset.
INSTANCE_WRITES = {"save", "delete", "set_password", "set_unusable_password", "refresh_from_db_and_save"}
QUERYSET_WRITES = {"create", "update", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def front_modules() -> Iterator[Path]:
    """The modules that must call services instead of writing."""
    patterns = [
        "advocacy/**/views.py",
        "advocacy/**/views/*.py",
        "advocacy/**/admin.py",
        "advocacy/**/forms.py",
        "advocacy/**/tasks.py",
        "advocacy/**/management/commands/*.py",
        "advocacy/api/**/*.py",
        "advocacy/portal/**/*.py",
        "accounts/admin.py",
        "accounts/api.py",
        "accounts/serializers.py",
        "accounts/preferences.py",
        "accounts/adapters.py",
        "accounts/management/commands/*.py",
    ]
    seen: set[Path] = set()
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path not in seen and "migrations" not in path.parts:
                seen.add(path)
                yield path


def _receiver_is_queryset(node: ast.expr) -> bool:
    """`X.objects...` or `something.filter(...)`-style chains: the receiver is a queryset."""
    text = ast.unparse(node)
    return ".objects" in text or text.endswith(("_set", ".all()")) or ".filter(" in text or ".exclude(" in text


def writes_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, node.func.value
        # super().save(...) inside a model form is the form's own plumbing, not a write path.
        if isinstance(receiver, ast.Call) and ast.unparse(receiver) == "super()":
            continue
        if method in INSTANCE_WRITES or (method in QUERYSET_WRITES and _receiver_is_queryset(receiver)):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node.func)}(...)")
    return found


def test_no_view_admin_api_command_or_task_writes_a_model_itself():
    offenders = [line for path in front_modules() for line in writes_in(path)]
    assert not offenders, "These call the ORM directly; call a service instead:\n" + "\n".join(offenders)


def test_the_check_finds_a_direct_write(tmp_path):
    """The check itself can fail: a view that saves a model is reported."""
    view = tmp_path / "views.py"
    view.write_text(
        "def toggle(request, account):\n"
        "    account.status = 'revoked'\n"
        "    account.save(update_fields=['status'])\n"
        "    Share.objects.filter(account=account).update(state='cancelled')\n"
        "    options = {}\n"
        "    options.update(a=1)\n",
        encoding="utf-8",
    )
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        lines = writes_in(view)
    finally:
        ROOT = saved
    assert lines == [
        "views.py:3: account.save(...)",
        "views.py:4: Share.objects.filter(account=account).update(...)",
    ]


# Pages whose writes are no person's state and touch no promise: the beat schedule is
# operations' clock (the dispatcher and sweeps), kept editable for maintenance.
ADMIN_WRITES_ALLOWED = {"django_celery_beat"}
# Deletes that make no one someone else and hide nothing: removing an email address or
# an SSO link only takes a way of signing in away; a person can be deleted only while
# nothing refers to them (PROTECT keys: no audit event, ledger row or share names them),
# so there is no history to lose.
ADMIN_DELETES_ALLOWED = {
    "account.EmailAddress",
    "socialaccount.SocialAccount",
    "socialaccount.SocialToken",
    "accounts.User",
}


def _defined_in_candor(admin_class: type, method: str) -> bool:
    """Whether ``method`` on ``admin_class`` is Candor's own override (which calls a service)."""
    for klass in admin_class.__mro__:
        if method in vars(klass):
            return klass.__module__.startswith(("accounts.", "advocacy."))
    return False


def test_every_admin_page_that_writes_goes_through_a_service(rf, admin_user):
    from django.contrib import admin

    admin_user.is_superuser = True
    request = rf.get("/admin/")
    request.user = admin_user
    offenders = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in ADMIN_WRITES_ALLOWED:
            continue
        writes = {
            "save_model": model_admin.has_add_permission(request) or model_admin.has_change_permission(request),
            "delete_model": model_admin.has_delete_permission(request)
            and model._meta.label not in ADMIN_DELETES_ALLOWED,
        }
        for method, allowed in writes.items():
            if allowed and not _defined_in_candor(type(model_admin), method):
                offenders.append(f"{model._meta.label}: {type(model_admin).__name__} can {method} without a service")
    assert not offenders, "\n".join(offenders)
