"""Pages for admins and auditors: participation (groups only), offboarding with
hand-back receipts, and the audit log with exports."""

from __future__ import annotations

import datetime as dt
import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.permissions import Capability, user_can
from advocacy.analytics.page_charts import participation_chart
from advocacy.audit.export import ExportFilters
from advocacy.audit.jobs import audit_export_direct, audit_export_job_start, export_dir, export_size
from advocacy.audit.models import AuditCheckpoint, AuditEvent, AuditExportJob
from advocacy.audit.proofs import audit_proof
from advocacy.audit.verify import audit_verify
from advocacy.audit.witnessed import witnessed_verify
from advocacy.core.errors import ApplicationError
from advocacy.ledger.models import ConnectedAccount, Offboarding
from advocacy.ledger.offboarding import hand_back_run, offboarding_start
from advocacy.ledger.receipt import receipt_build, receipt_pdf
from advocacy.portal.helpers import form_errors_from, requires
from advocacy.portal.labels import action_choices, action_label, target_label, via_label
from advocacy.program.selectors import participation_by_team

DIRECT_EXPORT_MAX_ROWS = 10_000


@requires(Capability.MANAGE_PROGRAM)
def participation(request: AuthenticatedHttpRequest) -> HttpResponse:
    figures = participation_by_team()
    return render(
        request,
        "portal/participation.html",
        {"figures": figures, "chart": participation_chart(figures), "minimum": settings.CANDOR_MIN_GROUP_SIZE},
    )


# --- offboarding ----------------------------------------------------------------------


@requires(Capability.OFFBOARD)
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    rows = User.objects.order_by("email")
    if query:
        rows = rows.filter(email__icontains=query) | rows.filter(display_name__icontains=query)
    return render(
        request,
        "oversight/people.html",
        {
            "people": rows[:100],
            "q": query,
            "open_cases": Offboarding.objects.exclude(state=Offboarding.State.COMPLETED).select_related("user"),
        },
    )


@requires(Capability.OFFBOARD)
@require_http_methods(["GET", "POST"])
def offboard(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    leaver = User.objects.filter(pk=user_id).first()
    if leaver is None:
        raise Http404
    accounts = list(ConnectedAccount.objects.filter(owner=leaver, status__in=ConnectedAccount.LIVE_STATUSES))
    corporate = [a for a in accounts if a.ownership == ConnectedAccount.Ownership.CORPORATE]
    candidates = User.objects.filter(is_active=True).exclude(pk=leaver.pk).order_by("email")
    choices = [("", "—")] + [(str(u.pk), f"{u.name} <{u.email}>") for u in candidates]
    form = forms.Form(request.POST or None)
    form.fields["reason"] = forms.CharField(label=gettext_lazy("Reason (optional)"), required=False, max_length=300)
    for account in corporate:
        form.fields[f"successor_{account.pk}"] = forms.ChoiceField(
            label=_("New custodian for %(account)s") % {"account": account}, choices=choices
        )
    if request.method == "POST" and form.is_valid():
        successors = {
            a.pk: int(form.cleaned_data[f"successor_{a.pk}"])
            for a in corporate
            if form.cleaned_data.get(f"successor_{a.pk}")
        }
        try:
            case = offboarding_start(
                actor=request.user, user_id=leaver.pk, successors=successors, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Hand-back started for %(name)s.") % {"name": leaver.name})
            return redirect("portal:offboarding", offboarding_id=case.pk)
    return render(request, "oversight/offboard.html", {"leaver": leaver, "accounts": accounts, "form": form})


def _case_for(request: AuthenticatedHttpRequest, offboarding_id: int) -> Offboarding:
    case = Offboarding.objects.select_related("user", "started_by").filter(pk=offboarding_id).first()
    if case is None or not (user_can(request.user, Capability.OFFBOARD) or case.user_id == request.user.pk):
        raise Http404
    return case


@requires(Capability.PARTICIPATE)
def offboarding_detail(request: AuthenticatedHttpRequest, offboarding_id: int) -> HttpResponse:
    case = _case_for(request, offboarding_id)
    accounts = ConnectedAccount.objects.filter(pk__in=case.account_ids).select_related("owner")
    template = "oversight/_offboarding_accounts.html" if request.htmx else "oversight/offboarding.html"
    return render(
        request,
        template,
        {"case": case, "accounts": accounts, "can_retry": user_can(request.user, Capability.OFFBOARD)},
    )


@requires(Capability.OFFBOARD)
@require_POST
def offboarding_retry(request: AuthenticatedHttpRequest, offboarding_id: int) -> HttpResponse:
    case = _case_for(request, offboarding_id)
    case = hand_back_run(offboarding_id=case.pk)
    if case.state == Offboarding.State.COMPLETED:
        messages.success(request, _("Every account has been handed back."))
    else:
        messages.warning(request, _("Some revocations are still pending; Candor keeps retrying automatically."))
    return redirect("portal:offboarding", offboarding_id=case.pk)


@requires(Capability.PARTICIPATE)
def offboarding_receipt(request: AuthenticatedHttpRequest, offboarding_id: int, fmt: str) -> HttpResponse:
    case = _case_for(request, offboarding_id)
    if case.state == Offboarding.State.RUNNING:
        # Nothing to vouch for yet: a receipt cut now would list accounts not yet touched.
        messages.info(request, _("The receipt can be downloaded once Candor has gone through every account."))
        return redirect("portal:offboarding", offboarding_id=case.pk)
    receipt = case.receipt or receipt_build(offboarding=case)
    # Proofs are cut at download time, so they cover the completion event too.
    receipt = {**receipt, "audit_proof": audit_proof(events=AuditEvent.objects.filter(subject_id=case.user_id))}
    name = f"candor-hand-back-receipt-{case.pk}"
    if fmt == "json":
        response = HttpResponse(json.dumps(receipt, indent=2, ensure_ascii=False), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response
    if fmt == "pdf":
        response = HttpResponse(receipt_pdf(receipt=receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    raise Http404


# --- audit log ------------------------------------------------------------------------


class AuditFilterForm(forms.Form):
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        label=gettext_lazy("Until (exclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.ModelChoiceField(label=gettext_lazy("Actor"), queryset=User.objects.order_by("email"), required=False)
    employee = forms.ModelChoiceField(
        label=gettext_lazy("About person"), queryset=User.objects.order_by("email"), required=False
    )
    # Choices built per form, so each reader gets them in their own language.
    action = forms.ChoiceField(
        label=gettext_lazy("Action"), required=False, choices=lambda: [("", "—"), *action_choices()]
    )
    account = forms.IntegerField(label=gettext_lazy("Account id"), required=False, min_value=1)
    format = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=[("csv", "CSV"), ("jsonl", "JSON Lines")], required=False
    )

    def filters(self) -> ExportFilters:
        data = self.cleaned_data

        def midnight(day: dt.date | None) -> dt.datetime | None:
            return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC) if day else None

        return ExportFilters(
            since=midnight(data.get("since")),
            until=midnight(data.get("until")),
            actor_id=data["actor"].pk if data.get("actor") else None,
            action=data.get("action") or "",
            account_id=data.get("account"),
            employee_id=data["employee"].pk if data.get("employee") else None,
        )


@requires(Capability.VIEW_AUDIT)
def audit_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = form.filters() if form.is_valid() else ExportFilters()
    head = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    from advocacy.audit.export import filtered_events

    events = list(
        filtered_events(filters=filters, upto_sequence=head).select_related("actor").order_by("-sequence")[:100]
    )
    for event in events:  # the stored codes, in words the reader understands (for the template)
        event.action_label = action_label(event.action)  # type: ignore[attr-defined]
        event.target_label = target_label(event.target_type, event.target_id)  # type: ignore[attr-defined]
        event.via_label = via_label(event.via)  # type: ignore[attr-defined]
    verify = request.GET.get("verify")
    return render(
        request,
        "oversight/audit.html",
        {
            "form": form,
            "events": events,
            "jobs": AuditExportJob.objects.filter(requested_by=request.user)[:5],
            "verify": audit_verify() if verify else None,
            # Whether the database still matches the witnessed checkpoints costs a pass
            # over every event, so it is computed with the verification, not on each view.
            "witnessed": witnessed_verify() if verify else None,
            "checkpoint": AuditCheckpoint.objects.order_by("-tree_size").first(),
        },
    )


@requires(Capability.VIEW_AUDIT)
@require_POST
def audit_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The export filters are not valid."))
        return redirect("portal:audit")
    filters, fmt = form.filters(), form.cleaned_data.get("format") or "csv"
    if export_size(filters=filters) > DIRECT_EXPORT_MAX_ROWS:
        job = audit_export_job_start(actor=request.user, filters=filters, fmt=fmt)
        return redirect("portal:audit_job", job_id=job.pk)
    head, lines = audit_export_direct(actor=request.user, filters=filters, fmt=fmt)
    content_type = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = StreamingHttpResponse(lines, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="candor-audit-upto-{head[0]}.{fmt}"'
    response["X-Candor-Chain-Head"] = f"{head[0]}:{head[1]}"
    return response


def _job_for(request: AuthenticatedHttpRequest, job_id: int) -> AuditExportJob:
    job = AuditExportJob.objects.filter(pk=job_id, requested_by=request.user).first()
    if job is None:
        raise Http404
    return job


@requires(Capability.VIEW_AUDIT)
def audit_job(request: AuthenticatedHttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    template = "oversight/_audit_job.html" if request.htmx else "oversight/audit_job.html"
    return render(request, template, {"job": job})


@requires(Capability.VIEW_AUDIT)
def audit_job_download(request: AuthenticatedHttpRequest, job_id: int) -> FileResponse:
    job = _job_for(request, job_id)
    if job.state != AuditExportJob.State.DONE:
        raise Http404
    path = export_dir() / job.file_name
    if not path.exists():
        raise PermissionDenied
    return FileResponse(open(path, "rb"), as_attachment=True, filename=job.file_name)
