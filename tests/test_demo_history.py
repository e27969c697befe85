"""The demo organisation's history: enough people that every analytics figure shows,
and the promises hold in it as anywhere else."""

import pytest
from django.core.management import call_command

from accounts.models import User
from advocacy.analytics.selectors import analytics_overview, campaign_report, draft_report
from advocacy.audit.verify import audit_verify
from advocacy.drafts.models import Campaign, Draft, ReviewDecision
from advocacy.program.models import Enrollment
from advocacy.program.selectors import participation_by_team
from advocacy.sharing.models import Share

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo")
    return User.objects.get(email="author@demo.candor.test")


def test_every_figure_of_every_report_shows(demo):
    reports = [draft_report(user=demo, draft_id=d.pk) for d in Draft.objects.all()]
    reports += [campaign_report(user=demo, campaign_id=c.pk) for c in Campaign.objects.all()]

    for report in reports:
        withheld = [(b.key, f.label) for b in report.breakdowns for f in (*b.figures, b.total) if not f.shown]
        assert report.shown and not withheld, (report.title, withheld)
    assert all(line.shares.shown for line in analytics_overview(user=demo).drafts)
    assert all(figure.shown for figure in participation_by_team())


def test_the_history_spans_weeks_with_shares_in_every_lasting_state(demo):
    states = set(Share.objects.values_list("state", flat=True))
    sent_days = {s.sent_at.date() for s in Share.objects.filter(state=Share.State.SENT)}

    assert states >= {"sent", "scheduled", "failed", "cancelled", "missed", "unknown", "review"}
    assert (max(sent_days) - min(sent_days)).days >= 14
    assert participation_by_team()[0].members == 48
    assert len({f.group for f in participation_by_team()[1:]}) == 4


def test_nobody_shares_without_consent_or_without_the_disclosure_first(demo):
    shares = Share.objects.select_related("employee")
    joined = {e.user_id: e.joined_at for e in Enrollment.objects.filter(status=Enrollment.Status.ACTIVE)}

    assert shares.count() > 80
    for share in shares:
        assert share.employee_id in joined and joined[share.employee_id] < share.created_at
        assert share.text.startswith(share.disclosure)


def test_every_published_post_was_approved_by_someone_who_wrote_none_of_it(demo):
    for draft in Draft.objects.filter(published_version__isnull=False):
        version = draft.published_version
        approval = ReviewDecision.objects.get(version=version, decision=ReviewDecision.Decision.APPROVED)
        assert approval.reviewer_id != version.created_by_id


def test_the_audit_chain_is_valid_after_seeding_twice(demo):
    call_command("seed_demo")
    assert audit_verify().ok
