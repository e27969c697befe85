"""The ``meta`` of a SCIM resource, for Users and Groups alike."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any


def with_meta(
    body: dict[str, Any], *, resource_type: str, created: dt.datetime, modified: dt.datetime
) -> dict[str, Any]:
    """``body`` with its ``meta``: a weak version that changes whenever anything in
    the body does (Candor declares no ETags, so it is informative only)."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    meta = {
        "resourceType": resource_type,
        "created": created.isoformat(),
        "lastModified": modified.astimezone(dt.UTC).isoformat(),
        "version": f'W/"{digest}"',
    }
    return {**body, "meta": meta}
