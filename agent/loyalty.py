"""Loyalty by phone (placeholder until the loyalty issue lands): refuses bonus operations."""

from __future__ import annotations

from .errors import Invalid


def plan(store, phone, lines, redeem, committing=False):
    raise Invalid("loyalty is not available in this build", field="customer_phone")


def recheck(store, plan):  # pragma: no cover
    raise Invalid("loyalty is not available in this build", field="customer_phone")


def post_sale(store, sale, plan):  # pragma: no cover
    raise Invalid("loyalty is not available in this build", field="customer_phone")


def post_return(store, sale, ret):  # pragma: no cover
    return None
