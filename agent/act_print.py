"""A received delivery's discrepancy act, summed up on the receipt printer.

Queued after the receiving committed (never inside it) as a plain ``document`` print job
whose text is kept in the job, so the spooler prints it like any receipt, with retries.
"""

from __future__ import annotations

import json

from . import clock, deliveries
from .models import PrintJob


def summary(store, delivery_id: int) -> dict:
    act = deliveries.act(store, delivery_id)
    rows = [[f"Акт № {act['number']}", (act["received_at"] or "")[:10]],
            [f"Поставщик: {act['supplier']}"], [f"Документ № {act['delivery_number']}"], []]
    for ln in act["lines"]:
        gaps = [(k, ln[k]) for k in ("shortage", "surplus", "damaged") if ln[k] != "0.000"]
        if not gaps:
            continue
        rows.append([ln["name"]])
        rows.append([f"  ожид. {ln['expected']} / принято {ln['received']}"])
        label = {"shortage": "недостача", "surplus": "излишек", "damaged": "бой/брак"}
        for key, value in gaps:
            rows.append([f"  {label[key]}", value])
    if act["discrepancies"] == 0:
        rows.append(["Расхождений нет"])
    rows += [[], [f"Строк с расхождениями: {act['discrepancies']}"], ["Принял: ____________"]]
    return {"kind": "document", "title": "АКТ О РАСХОЖДЕНИИ (ТОРГ-2)", "rows": rows}


def queue_act_summary(store, delivery_id: int) -> int:
    doc = summary(store, delivery_id)
    with store.db.write():
        job = PrintJob.create(kind="document", document=json.dumps(doc, ensure_ascii=False),
                              created_at=clock.iso())
    store.notify("print.queued", job_id=job.id)
    return job.id
