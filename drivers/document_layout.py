"""A plain document on the receipt printer (not a receipt): a title and rows of text.

Shape: ``{"kind": "document", "title": str, "rows": [[left, right?], ...]}``; an empty row
is a separator.  Used for summaries such as a delivery's discrepancy act; it never carries
the words of a fiscal receipt.
"""

from __future__ import annotations


def layout_document(doc: dict) -> list:
    from .formatting import clean
    from .receipt_layout import Cut, Separator, Text
    ops = [Text(clean(str(doc.get("title") or "")), align="center", bold=True), Separator()]
    for row in doc.get("rows") or []:
        if not row:
            ops.append(Separator())
            continue
        left = clean(str(row[0]))
        right = clean(str(row[1])) if len(row) > 1 and row[1] not in (None, "") else None
        ops.append(Text(left, right or ""))
    ops.append(Cut())
    return ops
