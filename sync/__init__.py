"""Store-to-hub sync: the outbox pusher, the feed puller, the pull API and the hub client.

The reference hub lives in ``sync.hub``.  See docs/sync.md for the guarantees.
"""

from .errors import HubError, HubGap, HubRefused, HubTooLarge, HubUnavailable

__all__ = ["HubError", "HubGap", "HubRefused", "HubTooLarge", "HubUnavailable"]
