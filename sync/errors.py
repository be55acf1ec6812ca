"""What can go wrong talking to the hub, as the store core and the workers see it."""

from __future__ import annotations


class HubError(Exception):
    """Base of every hub-call failure raised by ``sync``."""

    def __init__(self, message: str, status: int | None = None, body: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body or {}


class HubUnavailable(HubError):
    """The hub could not be reached or did not answer in time (network, timeout, 5xx, 429).

    The store falls back to its offline rules; the pusher retries with backoff."""


class HubRefused(HubError):
    """The hub answered and said no for good (401, 403, 400, a conflicting event).

    Retrying the same request cannot help; the pusher reports it and waits."""


class HubGap(HubError):
    """409 on a push: the hub holds fewer events than the batch assumed.  ``expected_seq``
    is where the agent resends from."""

    def __init__(self, expected_seq: int):
        super().__init__(f"the hub expects seq {expected_seq}", status=409)
        self.expected_seq = expected_seq


class HubTooLarge(HubError):
    """413: the batch is over the hub's limit; the pusher halves it."""
