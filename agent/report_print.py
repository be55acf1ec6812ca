"""X and Z reports on the receipt printer, as plain ``document`` print jobs.

The Z of a shift is queued when the shift closes (the spooler listens for ``shift.closed``;
no printer, no job) and may be printed again from the back office; the X of the open shift
is printed on request.  Like the act summary (agent/act_print.py) the text is kept in the
job, so the spooler prints it with its retries and a restart loses nothing.
"""

from __future__ import annotations

import json

from . import clock, shifts
from .errors import Conflict, NotFound
from .models import PrintJob, Shift
from .money import format_major

_METHODS = {"cash": "Наличные", "card": "Карта", "advance": "Зачёт аванса (сайт)"}


def z_report(shift_id) -> dict:
    """The Z report of a closed shift, as ``shifts.close_shift`` answered it."""
    try:
        shift = Shift.get_or_none(Shift.id == int(shift_id))
    except (TypeError, ValueError):
        shift = None
    if shift is None:
        raise NotFound(f"no shift {shift_id}", field="shift_id")
    if shift.closed_at is None:
        raise Conflict("the shift is still open: print its X report", code="shift_open")
    z = shifts.report(shift)
    z.update(counted_cash=shift.counted_cash,
             difference=(shift.counted_cash or 0) - z["expected_cash"],
             closed_by=shift.closed_by.login if shift.closed_by_id else None)
    return z


def layout(report: dict, kind: str) -> dict:
    """The report as rows of the receipt printer (label, amount in roubles)."""
    m = format_major
    title = "Z-ОТЧЁТ (ЗАКРЫТИЕ СМЕНЫ)" if kind == "Z" else "X-ОТЧЁТ"
    rows = [[f"Смена № {report['number']}", f"касса {report['register_id']}"],
            ["Открыта", (report.get("opened_at") or "")[:16].replace("T", " ")]]
    if kind == "Z":
        rows.append(["Закрыта", (report.get("closed_at") or "")[:16].replace("T", " ")])
    rows += [[f"Кассир: {report.get('cashier') or ''}"], [],
             [f"Продаж: {report['sales_count']}", m(report["sales_total"])],
             [f"Возвратов: {report['returns_count']}", m(report["returns_total"])],
             ["Оплачено бонусами", m(report.get("bonus_redeemed") or 0)]]
    for method, label in _METHODS.items():
        got = report["by_method"].get(method) or {"sales": 0, "refunds": 0, "net": 0}
        if method == "advance" and not (got["sales"] or got["refunds"]):
            continue  # no pick-up order prepaid on the site in this shift
        rows += [[label], ["  приход", m(got["sales"])], ["  возврат", m(got["refunds"])],
                 ["  итого", m(got["net"])]]
    rows += [[], ["Начальный остаток", m(report["opening_cash"])],
             ["Внесение", m(report.get("cash_in") or 0)],
             ["Изъятие", m(report.get("cash_out") or 0)],
             ["Наличных в кассе", m(report["expected_cash"])]]
    if kind == "Z":
        rows += [["Пересчитано", m(report.get("counted_cash") or 0)],
                 ["Расхождение", m(report.get("difference") or 0)],
                 [f"Закрыл: {report.get('closed_by') or ''}"]]
    rows += [[], [f"Напечатано {clock.iso()[:16].replace('T', ' ')} UTC"]]
    return {"kind": "document", "title": title, "rows": rows}


def queue(store, report: dict, kind: str) -> int:
    """One document job for an X (``kind="X"``) or Z report; returns the job id."""
    doc = layout(report, kind)
    with store.db.write():
        job = PrintJob.create(kind="document", document=json.dumps(doc, ensure_ascii=False),
                              created_at=clock.iso())
    store.notify("print.queued", job_id=job.id)
    return job.id


def queue_x(store, session) -> int:
    return queue(store, shifts.x_report(session), "X")


def queue_z(store, shift_id) -> int:
    return queue(store, z_report(shift_id), "Z")
