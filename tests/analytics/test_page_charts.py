"""Charts on every analytics page: the overview, a campaign, participation and My
impact draw the figures their tables show, withheld ones as words, never a person."""

from __future__ import annotations

import re

import pytest

from accounts.models import Role, Team
from advocacy.program.services import enrollment_opt_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SVG = re.compile(r'<svg role="img" aria-labelledby="([^ "]+)-title \1-desc".*?</svg>', re.S)


def charts(html: str) -> dict[str, str]:
    """Each accessible chart on the page by its key, with its markup."""
    return {match.group(1): match.group(0) for match in SVG.finditer(html)}


def test_the_overview_charts_shares_per_campaign_and_per_post_withholding_small_ones(
    client, author, make_people, make_draft, draft, post
):
    small = make_draft(title="Small news")
    people = make_people(6)
    for person in people:
        post(person, draft)
    post(people[0], small)
    client.force_login(author)

    found = charts(client.get("/analytics/").content.decode())

    posts = found["chart-drafts"]
    assert "<title>Small news" not in posts  # no bar for a withheld figure...
    assert re.search(r">Small news</text>\s*<text[^>]*>too few to show<", posts)  # ...words instead
    assert f">{draft.title}</text>" in posts and ">6</text>" in posts
    assert "chart-campaigns" in found
    for person, account in people:
        assert person.display_name not in posts and account.handle not in posts


def test_a_campaign_charts_its_drafts_and_states(client, author, make_people, draft, post):
    for person in make_people(5):
        post(person, draft)
    client.force_login(author)

    found = charts(client.get(f"/analytics/campaigns/{draft.campaign_id}/").content.decode())

    assert {"chart-drafts", "chart-states", "chart-networks", "chart-shares"} <= set(found)
    assert ">Sent</text>" in found["chart-states"]
    assert ">Failed</text>" not in found["chart-states"]  # states nobody is in stay in the table only


def _team(policy, name: str, members: int, joined: int) -> None:
    for index in range(members):
        user = UserFactory(email=f"{name}{index}@example.com", role=Role.EMPLOYEE, team=name)
        if index < joined:
            enrollment_opt_in(user=user, policy_version_id=policy.pk, accepted=True)


def test_participation_charts_groups_and_never_a_group_too_small_to_show(client, admin_user, policy):
    admin_user.team = Team.objects.get_or_create(name="Ops")[0]
    admin_user.save(update_fields=["team"])
    _team(policy, "Warehouse", 10, 5)
    _team(policy, "Sales", 10, 5)
    _team(policy, "Ops", 6, 4)  # with the admin: 4 of 7 take part, 3 do not
    client.force_login(admin_user)

    html = client.get("/programme/participation/").content.decode()
    chart = charts(html)["chart-participation"]

    assert ">Warehouse</text>" in chart and ">50%</text>" in chart
    assert re.search(r">Ops</text>\s*<text[^>]*>too few to show<", chart)
    assert "Ops: too few to show" in chart  # the description says so too


def test_participation_draws_no_chart_when_every_figure_is_withheld(client, admin_user, policy):
    _team(policy, "Warehouse", 6, 6)
    client.force_login(admin_user)

    assert 'role="img"' not in client.get("/programme/participation/").content.decode()


def test_my_impact_charts_my_own_shares_by_state(client, make_people, draft, post):
    (me, account), *_others = make_people(1)
    post((me, account), draft)
    client.force_login(me)

    chart = charts(client.get("/my-impact/").content.decode())["chart-mine"]

    assert ">Sent</text>" in chart and ">1</text>" in chart
