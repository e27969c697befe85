"""The one family of domain errors. Services raise these; views and the API map them.

``code`` is stable and machine-readable, ``message`` is plain words for a person,
``fields`` names the inputs at fault (``{"text": ["The disclosure must come first."]}``).
"""

from __future__ import annotations


class ApplicationError(Exception):
    code = "invalid"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code is not None:
            self.code = code


class ValidationFailed(ApplicationError):
    code = "validation_failed"


class Conflict(ApplicationError):
    """The request is well formed but the object's current state forbids it."""

    code = "conflict"
    status = 409


class NotAllowed(ApplicationError):
    code = "permission_denied"
    status = 403
