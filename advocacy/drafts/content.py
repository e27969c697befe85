"""What a post will look like on each network, and whether it may be posted.

Used when a draft is saved, when a share is created or edited, and again right
before sending, so the same rules apply at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

from advocacy.compose import check_disclosure, compose_text, measure


def body_with_link(*, body: str, link: str) -> str:
    body = body.strip()
    if link and link not in body:
        return f"{body}\n{link}" if body else link
    return body


def final_text(*, disclosure: str, body: str, link: str = "") -> str:
    return compose_text(disclosure=disclosure, body=body_with_link(body=body, link=link))


@dataclass(frozen=True)
class PostCheck:
    network: str
    text: str
    count: int
    limit: int
    unit: str
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_post(*, network: str, text: str, disclosure: str, max_characters: int | None = None) -> PostCheck:
    """Disclosure first and intact, and within the network's length limit."""
    problems = [violation.message for violation in check_disclosure(text=text, disclosure=disclosure)]
    report = measure(network=network, text=text, max_characters=max_characters)
    if not report.ok:
        problems.append(report.message)
    return PostCheck(network, text, report.count, report.limit, report.unit, tuple(problems))
