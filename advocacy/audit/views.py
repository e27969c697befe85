"""The audit log's public key, for anyone checking a checkpoint, an export or a
receipt offline. No login: a public key is meant to be public."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from advocacy.audit import keys


@require_GET
def audit_key(request: HttpRequest) -> JsonResponse:
    current = keys.signing_key().verifier
    entries = [(current, "current"), *((key, "retired") for key in keys.retired_keys())]
    body = {
        "origin": current.name,
        "keys": [
            {
                "verifier_key": str(key),
                "key_id": key.key_id.hex(),
                "fingerprint": "SHA256:" + hashlib.sha256(key.public_key).hexdigest(),
                "status": status,
            }
            for key, status in entries
        ],
        "verifier": "advocacy/audit/standalone/candor_verify.py in Candor's source (Python 3 + cryptography)",
    }
    response = JsonResponse(body, json_dumps_params={"indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    return response
