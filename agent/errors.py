"""The small tree of domain errors raised by the store core.

The core never knows about HTTP; `pos_ui` maps each class to a status code once, and the
command line prints `message` on one line.  `field` names the input that was wrong.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store core raises on purpose."""

    code = "error"

    def __init__(self, message: str, field: str | None = None, code: str | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code
        self.extra = extra

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class Invalid(StoreError):
    """The request itself is wrong (bad value, missing field)."""

    code = "invalid"


class NotFound(StoreError):
    code = "not_found"


class Unauthorized(StoreError):
    """No valid session or wrong credentials."""

    code = "unauthorized"


class Forbidden(StoreError):
    """Authenticated, but the role does not allow it."""

    code = "forbidden"


class Conflict(StoreError):
    """The request is well formed but the store's state refuses it."""

    code = "conflict"


class Unavailable(StoreError):
    """The store cannot do it now for a reason outside the request (its storage)."""

    code = "unavailable"


class LockedOut(StoreError):
    """Too many wrong PINs; try again after `retry_after` seconds."""

    code = "locked_out"


def require_client_ref(body) -> str:
    """The idempotency key every recorded action carries (and the body must be an object)."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object", field="body")
    client_ref = body.get("client_ref")
    if not isinstance(client_ref, str) or not 1 <= len(client_ref) <= 100:
        raise Invalid("client_ref is required (1-100 characters)", field="client_ref")
    return client_ref
