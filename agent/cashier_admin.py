"""A store's people, run by a manager (screen) or the owner of the data dir (CLI): list,
deactivate, activate, set a PIN, unlock.

Every change is audited with who made it (``by``: the manager's cashier row, or None for the
command line).  Deactivating ends the cashier's open sessions in the same transaction, so a
till signed in as them is signed out on its next request.  Cashiers are not events: people
are the store's own business, never the hub's.
"""

from __future__ import annotations

from . import clock
from .cashiers import RECOVERED_PIN, audit, check_pin_format, hash_pin
from .errors import Conflict, Invalid, NotFound
from .models import ApiSession, Cashier


def _find(login) -> Cashier:
    if not isinstance(login, str) or not login.strip():
        raise Invalid("login is required", field="login")
    cashier = Cashier.get_or_none(Cashier.login == login)
    if cashier is None:
        raise NotFound(f"no cashier {login!r}", field="login")
    return cashier


def _locked(cashier: Cashier) -> bool:
    return bool(cashier.locked_until) and clock.parse(cashier.locked_until) > clock.now()


def describe(cashier: Cashier) -> dict:
    return {"login": cashier.login, "name": cashier.name, "role": cashier.role,
            "active": bool(cashier.active), "locked": _locked(cashier),
            "locked_until": cashier.locked_until if _locked(cashier) else None,
            "has_pin": not cashier.pin_hash.startswith(RECOVERED_PIN),
            "created_at": cashier.created_at}


def listing() -> list[dict]:
    """Every cashier, active first, then by login."""
    rows = Cashier.select().order_by(Cashier.active.desc(), Cashier.login)
    return [describe(c) for c in rows]


def deactivate(store, login, by: Cashier | None = None) -> dict:
    """The cashier can no longer sign in; their open sessions end now."""
    with store.db.write():
        cashier = _find(login)
        if by is not None and by.id == cashier.id:
            raise Conflict("a manager cannot deactivate themselves", field="login")
        sessions = (ApiSession.update(closed=True)
                    .where((ApiSession.cashier == cashier) & (ApiSession.closed == False))  # noqa: E712
                    .execute())
        if cashier.active:
            cashier.active = False
            cashier.save()
            audit("cashier.deactivated", by, login=cashier.login, sessions_ended=sessions)
    return describe(cashier)


def activate(store, login, by: Cashier | None = None) -> dict:
    """Let a deactivated cashier sign in again (one replayed from the hub needs a PIN first)."""
    with store.db.write():
        cashier = _find(login)
        if cashier.pin_hash.startswith(RECOVERED_PIN):
            raise Conflict(f"{cashier.login} has no PIN yet: set one first", field="login",
                           code="pin_required")
        if not cashier.active:
            cashier.active = True
            cashier.save()
            audit("cashier.activated", by, login=cashier.login)
    return describe(cashier)


def set_pin(store, login, pin, by: Cashier | None = None) -> dict:
    """A new PIN (hashed as at ``add``); clears failed attempts and any lockout.  A cashier
    recovered from the hub without a PIN becomes active with it."""
    check_pin_format(pin)
    _find(login)  # a 404 before the slow hash
    pin_hash = hash_pin(pin)  # slow: outside the write lock
    with store.db.write():
        cashier = _find(login)
        if cashier.pin_hash.startswith(RECOVERED_PIN):
            cashier.active = True
        cashier.pin_hash, cashier.failed_attempts, cashier.locked_until = pin_hash, 0, None
        cashier.save()
        audit("cashier.pin_set", by, login=cashier.login)
    return describe(cashier)


def unlock(store, login, by: Cashier | None = None) -> dict:
    """Clear a lockout after too many wrong PINs (and the count of wrong PINs)."""
    with store.db.write():
        cashier = _find(login)
        was_locked = _locked(cashier)
        cashier.failed_attempts, cashier.locked_until = 0, None
        cashier.save()
        audit("cashier.unlocked", by, login=cashier.login, was_locked=was_locked)
    return describe(cashier)
