"""What a CommerceML import did: counts, rejections with reasons, and notes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_DETAILS = 1000  # rejections kept with their details; beyond that only counted
MAX_SHOWN = 200  # rejections printed by report()


@dataclass
class ImportSummary:
    files: list = field(default_factory=list)  # file names in the order they were read
    added: int = 0  # products and variants created
    updated: int = 0  # records that changed a product (fields, price, barcodes, visibility)
    unchanged: int = 0
    variants: int = 0  # of the added, how many are variants (offers with characteristics)
    hidden: int = 0  # products that became hidden (ПометкаУдаления, absent from a full file)
    prices: int = 0  # retail prices set or changed
    stock_lines: int = 0  # stock corrections recorded (count moves)
    stock_docs: int = 0
    records: int = 0  # products and offers read
    rejected: list = field(default_factory=list)  # {"file","id","sku","field","message"}
    rejected_count: int = 0
    rejected_by_field: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)  # things worth knowing that refused nothing

    @property
    def ok(self) -> bool:
        return self.rejected_count == 0

    def reject(self, file: str, item_id: str | None, fld: str, message: str,
               sku: str | None = None) -> None:
        self.rejected_count += 1
        self.rejected_by_field[fld] += 1
        if len(self.rejected) < MAX_DETAILS:
            self.rejected.append({"file": file, "id": item_id, "sku": sku, "field": fld,
                                  "message": message})

    def note(self, message: str) -> None:
        self.notes[message] += 1

    def as_dict(self) -> dict:
        return {"files": self.files, "added": self.added, "updated": self.updated,
                "unchanged": self.unchanged, "variants": self.variants, "hidden": self.hidden,
                "prices": self.prices, "stock_lines": self.stock_lines,
                "stock_docs": self.stock_docs, "records": self.records,
                "rejected": self.rejected, "rejected_count": self.rejected_count,
                "notes": dict(self.notes)}

    def report(self) -> str:
        out = [f"CommerceML: {len(self.files)} file(s) read: {', '.join(self.files) or '-'}",
               f"  {self.records} products and offers: {self.added} added "
               f"({self.variants} variants), {self.updated} updated, {self.unchanged} unchanged",
               f"  {self.hidden} hidden, {self.prices} prices set, {self.stock_lines} stock "
               f"corrections in {self.stock_docs} count document(s)",
               f"  {self.rejected_count} rejected"
               + (" (" + ", ".join(f"{k}: {v}" for k, v in sorted(self.rejected_by_field.items()))
                  + ")" if self.rejected_count else "")]
        for r in self.rejected[:MAX_SHOWN]:
            who = r["sku"] or r["id"] or ""
            out.append(f"    {r['file']}: {who + ': ' if who else ''}{r['message']}")
        if self.rejected_count > MAX_SHOWN:
            out.append(f"    ... and {self.rejected_count - MAX_SHOWN} more")
        for message, n in sorted(self.notes.items()):
            out.append(f"  note: {message}" + (f" (x{n})" if n > 1 else ""))
        return "\n".join(out)
