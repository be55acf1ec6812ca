"""Refusals the hub answers with, each with its HTTP status; the body is the contract's
``{"error": {"code", "message", "field"?}}``.  Nothing is written on a refused request."""

from __future__ import annotations


class HubApiError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, field: str | None = None, code: str | None = None, **extra):
        super().__init__(message)
        self.message, self.field, self.extra = message, field, extra
        if code:
            self.code = code

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return {"error": body, **self.extra}


class BadRequest(HubApiError):
    status, code = 400, "invalid"


class Inconsistent(BadRequest):
    """An event that contradicts what the hub holds (a return or void of a sale the store
    never sent, a transfer to a store this hub does not know): refused for good, like a
    malformed one; the hub records it as a rejected (quarantinable) event."""

    code = "event_rejected"

    def __init__(self, event, message: str, field: str):
        super().__init__(message, field=field)
        self.event = event


class Unauthorized(HubApiError):
    status, code = 401, "unauthorized"


class Forbidden(HubApiError):
    status, code = 403, "forbidden"


class NotFound(HubApiError):
    status, code = 404, "not_found"


class Conflict(HubApiError):
    status, code = 409, "conflict"


class Gap(Conflict):
    """The batch starts past what the hub holds; the store resends from ``expected_seq``."""

    code = "gap"

    def __init__(self, expected_seq: int):
        super().__init__(f"events must continue from seq {expected_seq}", field="events[0].seq",
                         expected_seq=expected_seq)


class TooLarge(HubApiError):
    status, code = 413, "too_large"
