"""``POST /api/v1/returns``: which kind of return a body asks for.

A ``sale_id`` of this store: ``returns`` (against the sale's lines).  ``"sale_id": null``:
``free_returns`` (without a receipt).  ``origin``: ``foreign_returns`` (a sale of another
store or the site, checked with the hub).
"""

from __future__ import annotations

from . import foreign_returns, free_returns, returns


def commit(store, session, body) -> tuple[dict, bool]:
    if isinstance(body, dict) and body.get("origin") is not None:
        return foreign_returns.commit(store, session, body)
    if isinstance(body, dict) and "sale_id" in body and body["sale_id"] is None:
        return free_returns.commit_without_receipt(store, session, body)
    return returns.commit(store, session, body)
