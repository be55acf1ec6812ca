"""A channel's bonus entries (``POST /hub/v1/loyalty/entries``): the website moves the same
balance, in the same ledger, under the same rules as a till.

- ``accrual``: for a fully paid order; ``amount`` at most the chain's accrual rule applied to
  ``order_total`` (``agent.loyalty.accrual_for``, the tills' rule).
- ``redemption``: never past the balance less the stores' open holds (409).
- ``reversal``: a (partial) return: ``reverses`` names the accrual's or redemption's ``ref``;
  ``lines`` say which of its lines (and how much of each) go back; never more than was
  posted.  Taking back an accrual the customer already spent is refused (409 with the
  shortfall) unless the site kept that much money back from its refund (``withheld``), as
  a till does.
- Idempotent by ``ref`` per channel: the same body again answers the first result (200),
  a different body under a used ref is ``409 ref_reused``.  Nothing is written on a refusal.
"""

from __future__ import annotations

import hashlib
import json

from agent import text

from . import membership
from .errors import BadRequest, Conflict, NotFound
from .sql import Sql, iso
from .validate import canonical

KINDS = ("accrual", "redemption", "reversal")
MAX_AMOUNT = 10**12


def chain_phone(raw, field: str = "phone") -> str:
    """A phone in any usual form -> E.164, as the stores read it."""
    from agent.errors import Invalid
    from agent.loyalty import normalize_phone
    try:
        return normalize_phone(raw)
    except Invalid as e:
        raise BadRequest(e.message, field=field) from None


def _amount(value, field: str, required: bool = True, zero: bool = False) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1) \
            or value > MAX_AMOUNT:
        raise BadRequest(f"{field} must be whole kopecks above zero", field=field)
    return value


def _text(value, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(f"{field} is required (1-{limit} characters)", field=field)
    return clean_text(value.strip(), field)


def clean_text(value: str, field: str) -> str:
    """The one text rule (``agent.text``): no control characters or bidi overrides, NFC."""
    try:
        return text.clean(value, field)
    except text.BadText as e:
        raise BadRequest(f"{e.field} {e.reason}", field=e.field) from None


def _lines(raw, kind: str) -> dict[str, int | None] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or len(raw) > 1000:
        raise BadRequest("lines must be a non-empty list", field="lines")
    out: dict[str, int | None] = {}
    for i, ln in enumerate(raw):
        f = f"lines[{i}]"
        if not isinstance(ln, dict):
            raise BadRequest(f"{f} must be an object", field=f)
        lid = ln.get("line_id")
        if isinstance(lid, bool) or not isinstance(lid, (str, int)) or not str(lid) \
                or len(str(lid)) > 64:
            raise BadRequest(f"{f}.line_id is required", field=f"{f}.line_id")
        if str(lid) in out:
            raise BadRequest(f"{f}.line_id {lid} is listed twice", field=f"{f}.line_id")
        out[str(lid)] = _amount(ln.get("amount"), f"{f}.amount", required=kind != "reversal",
                                zero=True)
    return out


def check(body) -> dict:
    """The request, checked; 400 naming the field otherwise."""
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    kind = body.get("kind")
    if kind not in KINDS:
        raise BadRequest("kind must be accrual, redemption or reversal", field="kind")
    req = {"ref": _text(body.get("ref"), "ref", 100), "phone": chain_phone(body.get("phone")),
           "kind": kind, "channel": _text(body.get("channel"), "channel", 64),
           "lines": _lines(body.get("lines"), kind)}
    req["amount"] = _amount(body.get("amount"), "amount",
                            required=not (kind == "reversal" and req["lines"]))
    if kind == "accrual":
        req["order_total"] = _amount(body.get("order_total"), "order_total", zero=True)
    if kind == "reversal":
        req["reverses"] = _text(body.get("reverses"), "reverses", 100)
        req["withheld"] = _amount(body.get("withheld", 0), "withheld", zero=True)
    if req["lines"] and kind != "reversal" and sum(req["lines"].values()) != req["amount"]:
        raise BadRequest("the lines' amounts must add up to amount", field="lines")
    return req


def post_entry(db, channel_id: str, body) -> tuple[int, dict]:
    from .db import retrying
    req = check(body)
    digest = hashlib.sha256(canonical(body).encode()).hexdigest()
    return retrying(db, lambda: _post(Sql(db), channel_id, req, digest))


def post_in(sql: Sql, channel_id: str, body) -> tuple[int, dict]:
    """The same entry inside the caller's transaction (a pick-up order's redemption and its
    reversal, ``order_bonus``): same rules, same idempotency by ``ref``."""
    return _post(sql, channel_id, check(body),
                 hashlib.sha256(canonical(body).encode()).hexdigest())


def _post(sql: Sql, channel_id: str, req: dict, digest: str) -> tuple[int, dict]:
    now = iso()
    mine = sql.insert_rows(
        "INSERT INTO hub_loyalty_ref (channel_id, ref, phone, kind, digest, amount, lines, "
        "answer, created_at)", [(channel_id, req["ref"], req["phone"], req["kind"], digest, 0,
                                 "{}", "", now)], "ON CONFLICT DO NOTHING RETURNING ref")
    if not mine:  # the ref was used before: the same request answers the first result
        held, answer = sql.one("SELECT digest, answer FROM hub_loyalty_ref WHERE channel_id = ? "
                               "AND ref = ?", (channel_id, req["ref"]))
        if held != digest:
            raise Conflict(f"ref {req['ref']} was used for another entry", field="ref",
                           code="ref_reused")
        return 200, json.loads(answer)
    c = membership.locked(sql, req["phone"])
    kind, lines = req["kind"], req["lines"] or {}
    if kind == "accrual":
        percent = membership.rules(sql)["accrual_percent"]
        from agent.loyalty import accrual_for
        most = accrual_for(req["order_total"], percent)
        if req["amount"] > most:
            raise BadRequest(f"an order of {req['order_total']} kopecks earns at most {most} "
                             f"({percent}%)", field="amount", code="accrual_exceeds_rule",
                             available=most)
        amount, ledger_kind = req["amount"], "accrual"
    elif kind == "redemption":
        available = c["balance"] - _holds(sql, req["phone"])
        if req["amount"] > available:
            raise Conflict(f"only {max(available, 0)} kopecks of bonus may be redeemed",
                           field="amount", code="bonus_exceeds_balance",
                           available=max(available, 0))
        amount, ledger_kind = -req["amount"], "redemption"
    else:
        amount, ledger_kind, lines, covers = _reversal(sql, channel_id, req, c)
    reason = f"{req['channel']} {req['kind']} {req['ref']}"
    entry = membership.post(sql, c, ledger_kind, amount, reason=reason[:255],
                            by=f"channel:{channel_id}", now=now)
    answer = {"ref": req["ref"], "phone": req["phone"], "kind": kind, "amount": amount,
              "balance": c["balance"], "entry_id": entry}
    if kind == "reversal":
        answer.update(reverses=req["reverses"], covers=covers, withheld=req["withheld"])
    sql.run("UPDATE hub_loyalty_ref SET amount = ?, lines = ?, reverses = ?, answer = ? "
            "WHERE channel_id = ? AND ref = ?",
            (amount, json.dumps(lines, sort_keys=True), req.get("reverses"),
             json.dumps(answer), channel_id, req["ref"]))
    return 201, answer


def _holds(sql: Sql, phone: str) -> int:
    import time
    return int(sql.scalar("SELECT SUM(amount) FROM hub_hold WHERE phone = ? AND released = ? "
                          "AND expires_at > ?", (phone, sql.false(), int(time.time())), 0))


def _reversal(sql: Sql, channel_id: str, req: dict, c: dict) -> tuple[int, str, dict, int]:
    """How much a return takes back of the entry it names, line by line, never more."""
    orig = sql.one("SELECT phone, kind, amount, lines FROM hub_loyalty_ref WHERE channel_id = ? "
                   "AND ref = ? AND answer <> ''", (channel_id, req["reverses"]))
    if orig is None or orig[1] == "reversal":
        raise NotFound(f"no accrual or redemption with ref {req['reverses']}", field="reverses",
                       code="unknown_ref")
    if orig[0] != req["phone"]:
        raise BadRequest(f"ref {req['reverses']} belongs to another customer", field="phone")
    posted, posted_lines = abs(int(orig[2])), json.loads(orig[3] or "{}")
    done_total, done_lines = 0, {}
    for answer, lines in sql.rows("SELECT answer, lines FROM hub_loyalty_ref WHERE channel_id = ? "
                                  "AND reverses = ? AND answer <> ''",
                                  (channel_id, req["reverses"])):
        done_total += int(json.loads(answer)["covers"])
        for lid, a in json.loads(lines or "{}").items():
            done_lines[lid] = done_lines.get(lid, 0) + a
    wanted: dict[str, int] = {}
    if req["lines"]:
        if not posted_lines:
            raise BadRequest(f"ref {req['reverses']} was posted without lines: give amount",
                             field="lines")
        for lid, a in req["lines"].items():
            if lid not in posted_lines:
                raise BadRequest(f"line {lid} is not in ref {req['reverses']}", field="lines")
            left = posted_lines[lid] - done_lines.get(lid, 0)
            a = left if a is None else a
            if a > left or left == 0:
                raise Conflict(f"line {lid} has {left} kopecks left to take back",
                               field="lines", code="reversal_exceeds_entry", available=left)
            wanted[lid] = a
        total = sum(wanted.values())
        if req["amount"] is not None and req["amount"] != total:
            raise BadRequest(f"amount must be {total}, what the lines add up to",
                             field="amount")
    else:
        total = req["amount"]
    left = posted - done_total
    if total > left:
        raise Conflict(f"ref {req['reverses']} has {left} kopecks left to take back",
                       field="amount", code="reversal_exceeds_entry", available=left)
    if total == 0:
        raise BadRequest("nothing to take back", field="lines")
    if orig[1] == "redemption":  # the bonus spent on the returned lines comes back
        if req["withheld"]:
            raise BadRequest("withheld applies to taking back an accrual", field="withheld")
        return total, "restore", wanted, total
    withheld = req["withheld"]
    shortfall = max(0, total - c["balance"])
    if withheld > total:
        raise BadRequest("withheld cannot exceed what is taken back", field="withheld")
    if total - withheld > c["balance"]:
        raise Conflict(f"the customer has spent the bonus this return takes back: keep "
                       f"{shortfall} kopecks of the refund (withheld) and send again",
                       field="withheld", code="bonus_already_spent", shortfall=shortfall,
                       available=c["balance"])
    return -(total - withheld), "reversal", wanted, total
