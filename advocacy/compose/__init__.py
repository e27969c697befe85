"""Post text: the disclosure that leads every post, the exact post each network
receives, per-network length, and tone hints.

Pure Python with no Django imports; callers pass any configuration in.
"""

from .disclosure import (
    DEFAULT_DISCLOSURES,
    EMPLOYMENT_TAGS,
    EMPLOYMENT_WORDS,
    Rule,
    TemplateProblem,
    Violation,
    check_characters,
    check_disclosure,
    compose_text,
    disclosure_template,
    is_disclosure_intact,
    render_disclosure,
    template_problems,
)
from .final_post import DisclosureLink, FinalPost, LinkCard, final_post
from .length import BLUESKY_MAX_BYTES, NETWORK_LIMITS, LengthReport, measure
from .normalize import clean_text, hidden_characters, normalize
from .tone import ToneFlag, tone_flags

__all__ = [
    "BLUESKY_MAX_BYTES",
    "DEFAULT_DISCLOSURES",
    "EMPLOYMENT_TAGS",
    "EMPLOYMENT_WORDS",
    "NETWORK_LIMITS",
    "DisclosureLink",
    "FinalPost",
    "LengthReport",
    "LinkCard",
    "Rule",
    "TemplateProblem",
    "ToneFlag",
    "Violation",
    "check_characters",
    "check_disclosure",
    "clean_text",
    "compose_text",
    "disclosure_template",
    "final_post",
    "hidden_characters",
    "is_disclosure_intact",
    "measure",
    "normalize",
    "render_disclosure",
    "template_problems",
    "tone_flags",
]
