"""Post text: the disclosure that leads every post, per-network length, and tone hints.

Pure Python with no Django imports; callers pass any configuration in.
"""

from .disclosure import (
    DEFAULT_DISCLOSURES,
    Rule,
    Violation,
    check_characters,
    check_disclosure,
    compose_text,
    disclosure_template,
    is_disclosure_intact,
    render_disclosure,
)
from .length import BLUESKY_MAX_BYTES, NETWORK_LIMITS, LengthReport, measure
from .normalize import clean_text, hidden_characters, normalize
from .tone import ToneFlag, tone_flags

__all__ = [
    "BLUESKY_MAX_BYTES",
    "DEFAULT_DISCLOSURES",
    "NETWORK_LIMITS",
    "LengthReport",
    "Rule",
    "ToneFlag",
    "Violation",
    "check_characters",
    "check_disclosure",
    "clean_text",
    "compose_text",
    "disclosure_template",
    "hidden_characters",
    "is_disclosure_intact",
    "measure",
    "normalize",
    "render_disclosure",
    "tone_flags",
]
