"""Read a receipt by attribute, whether it is the agent's typed ``Receipt`` or a plain dict.

The agent hands drivers ``agent.documents.Receipt`` (docs/receipt-shape.md); drivers never
import ``agent``, they read attributes.  A plain dict (tests, a tool, a spooled job from an
older version) is wrapped so it reads the same way.  In the old dict shape a line's
``amount`` was gross (``discount`` still to come off); a line without ``gross`` is read that
way, so its ``amount`` here is always what the customer pays for the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: What drivers are handed: the core's typed receipt, read by attribute, or its dict form
#: (docs/receipt-shape.md).  Named here so drivers need no import of the core, not even
#: for type hints.
ReceiptDocument = Any


class _Attrs(dict):
    """A dict read by attribute; a missing key reads as None."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def _wrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _Attrs({k: _wrap(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_wrap(v) for v in value)
    return value


def _legacy_line(line: _Attrs) -> _Attrs:
    if "gross" in line or "amount" not in line:
        return line
    out = _Attrs(line)
    discount = line.get("discount") or 0
    if isinstance(line["amount"], int) and isinstance(discount, int):
        out["gross"], out["amount"] = line["amount"], line["amount"] - discount
    return out


def receipt_view(receipt: Any) -> Any:
    """The receipt itself when it is typed; a dict wrapped to read by attribute."""
    if not isinstance(receipt, Mapping):
        return receipt
    view = _wrap(receipt)
    view["lines"] = tuple(_legacy_line(ln) if isinstance(ln, _Attrs) else ln
                          for ln in view.get("lines") or ())
    return view
