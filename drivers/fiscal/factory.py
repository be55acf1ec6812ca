"""Opening the register a config URL names (``drivers.fiscal.open_fiscal``)."""

from __future__ import annotations

from typing import Any

from .register import FiscalRegister, parse_fiscal_url


def open_fiscal(url: str, **overrides: Any) -> FiscalRegister:
    """Build the register a config URL names (nothing is sent to it yet)."""
    kind, port_url, options = parse_fiscal_url(url)
    options.update(overrides)
    if kind == "dummy":
        from .dummy import DummyRegister
        return DummyRegister(**options)
    from .shtrih import ShtrihRegister
    return ShtrihRegister(port_url, **options)
