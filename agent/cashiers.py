"""Cashiers, PIN login with lockout, API sessions and manager approval.

PINs are stored as salted scrypt hashes (``scrypt$n$r$p$salt$hash``); the cost is in the
string so it can be raised later without breaking old hashes.  After ``pin_attempts`` wrong
PINs in a row a cashier is locked for ``lockout_minutes``; the lockout is in the database,
so restarting the agent does not reset it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets

from . import clock, sql
from .errors import Conflict, Forbidden, Invalid, LockedOut, Unauthorized
from .models import ApiSession, Audit, Cashier

ROLES = ("cashier", "senior", "manager")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}
_PIN_RE = re.compile(r"^\d{4,8}$")
_LOGIN_RE = re.compile(r"^[\w.@-]{1,64}$")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return kind == "scrypt" and hmac.compare_digest(got.hex(), digest)


def check_pin_format(pin) -> str:
    if not isinstance(pin, str) or not _PIN_RE.match(pin):
        raise Invalid("pin must be 4 to 8 digits", field="pin")
    return pin


def audit(what: str, cashier: Cashier | None, **detail) -> None:
    Audit.create(at=clock.iso(), cashier=cashier, action=what,
                 detail=json.dumps(detail, ensure_ascii=False, sort_keys=True))


RECOVERED_PIN = "!recovered"  # pin_hash of a cashier replayed from the hub, who has no PIN


def add(store, login: str, name: str, role: str, pin: str, by: Cashier | None = None) -> Cashier:
    if not isinstance(login, str) or not _LOGIN_RE.match(login):
        raise Invalid("login must be 1-64 letters, digits, '.', '_', '@' or '-'", field="login")
    if not isinstance(name, str) or not name.strip():
        raise Invalid("name is required", field="name")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    check_pin_format(pin)
    pin_hash = hash_pin(pin)  # slow: outside the write lock
    with store.db.write():
        known = Cashier.get_or_none(Cashier.login == login)
        if known and known.pin_hash.startswith(RECOVERED_PIN):  # known only from the hub's
            known.name, known.role, known.pin_hash, known.active = name.strip(), role, pin_hash, True
            known.save()  # events after a rebuild: now a cashier with a PIN again
            audit("cashier.added", by, login=login, role=role)
            return known
        if known:
            raise Conflict(f"cashier {login!r} already exists", field="login")
        cashier = Cashier.create(login=login, name=name.strip(), role=role, pin_hash=pin_hash,
                                 created_at=clock.iso())
        audit("cashier.added", by, login=login, role=role)
    return cashier


def _locked_for(cashier: Cashier) -> int:
    if cashier.locked_until and clock.parse(cashier.locked_until) > clock.now():
        return max(1, int((clock.parse(cashier.locked_until) - clock.now()).total_seconds()))
    return 0


def authenticate(store, login, pin) -> Cashier:
    """Check a login + PIN, counting failures and locking out.  Raises on any failure."""
    if not isinstance(login, str) or not login:
        raise Invalid("login is required", field="login")
    check_pin_format(pin)
    sec = store.config.section("security")
    cashier = Cashier.get_or_none((Cashier.login == login) & (Cashier.active == True))  # noqa: E712
    if cashier is None:
        verify_pin(pin, _dummy_hash())  # one scrypt, as for a known login: no timing oracle
        raise Unauthorized("wrong login or PIN", field="pin")
    wait = _locked_for(cashier)
    if wait:
        raise LockedOut(f"too many wrong PINs: locked for {wait // 60 + 1} min", retry_after=wait)
    ok = verify_pin(pin, cashier.pin_hash)
    with store.db.write():
        cashier = Cashier.get_by_id(cashier.id)
        if ok:
            cashier.failed_attempts = 0
            cashier.locked_until = None
            cashier.save()
            return cashier
        cashier.failed_attempts += 1
        if cashier.failed_attempts >= sec["pin_attempts"]:
            cashier.locked_until = clock.later(sec["lockout_minutes"] * 60)
            cashier.failed_attempts = 0
            audit("cashier.locked_out", cashier, login=login)
        cashier.save()
    if cashier.locked_until:
        raise LockedOut("too many wrong PINs: locked out", retry_after=sec["lockout_minutes"] * 60)
    left = sec["pin_attempts"] - cashier.failed_attempts
    raise Unauthorized(f"wrong login or PIN ({left} attempts left)", field="pin",
                       attempts_left=left)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(store, login_name, pin, register_id="1") -> tuple[str, Cashier]:
    register_id = str(register_id or "1")
    if not re.match(r"^[\w-]{1,16}$", register_id):
        raise Invalid("register must be 1-16 letters or digits", field="register")
    cashier = authenticate(store, login_name, pin)
    token = secrets.token_urlsafe(32)
    now = clock.iso()
    with store.db.write():
        ApiSession.create(token_hash=_token_hash(token), cashier=cashier, register_id=register_id,
                          created_at=now, last_seen_at=now)
    return token, cashier


def session_for(store, token: str | None) -> ApiSession:
    if not token:
        raise Unauthorized("log in first: no session token", code="no_session")
    row = sql.one(
        "SELECT s.token_hash, s.register_id, s.created_at, s.last_seen_at, s.approval_failures,"
        " s.closed, c.id, c.login, c.name, c.role, c.active, c.pin_hash, c.failed_attempts,"
        " c.locked_until, c.created_at AS c_created FROM api_session s"
        " JOIN cashier c ON c.id = s.cashier_id WHERE s.token_hash = ?", (_token_hash(token),))
    if row is None or row["closed"] or not row["active"]:
        raise Unauthorized("session expired: log in again", code="session_expired")
    cashier = Cashier(id=row["id"], login=row["login"], name=row["name"], role=row["role"],
                      active=row["active"], pin_hash=row["pin_hash"],
                      failed_attempts=row["failed_attempts"], locked_until=row["locked_until"],
                      created_at=row["c_created"])
    s = ApiSession(token_hash=row["token_hash"], cashier=cashier, register_id=row["register_id"],
                   created_at=row["created_at"], last_seen_at=row["last_seen_at"],
                   approval_failures=row["approval_failures"], closed=row["closed"])
    idle = store.config.get("security", "session_idle_minutes") * 60
    age = (clock.now() - clock.parse(s.last_seen_at)).total_seconds()
    if age > idle:
        raise Unauthorized("session expired: log in again", code="session_expired")
    if age > 60:  # keep writes rare: refresh at most once a minute
        with store.db.write():
            ApiSession.update(last_seen_at=clock.iso()).where(
                ApiSession.token_hash == s.token_hash).execute()
    return s


def logout(store, session: ApiSession) -> None:
    with store.db.write():
        ApiSession.update(closed=True).where(ApiSession.token_hash == session.token_hash).execute()


def require_role(session: ApiSession, role: str, action: str) -> None:
    if ROLE_RANK[session.cashier.role] < ROLE_RANK[role]:
        raise Forbidden(f"{action} needs a {role}", code="role_required")


def _dummy_hash() -> str:
    """A PIN hash to check unknown logins against, made once, so an unknown login costs
    the same one scrypt as a known one (no timing tells which logins exist)."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = hash_pin("0000")
    return _DUMMY


_DUMMY: str | None = None


def _count_failure(store, cashier: Cashier, what: str) -> int:
    """One wrong PIN against ``cashier``'s account (login and approvals share the count and
    the lock).  Caller holds the write lock.  Returns the attempts left (0 = now locked)."""
    sec = store.config.section("security")
    cashier = Cashier.get_by_id(cashier.id)
    cashier.failed_attempts += 1
    left = sec["pin_attempts"] - cashier.failed_attempts
    if left <= 0:
        cashier.locked_until = clock.later(sec["lockout_minutes"] * 60)
        cashier.failed_attempts = 0
        audit("cashier.locked_out", cashier, login=cashier.login, by=what)
    cashier.save()
    return max(0, left)


def approve(store, session: ApiSession, action: str, pin=None, approver_login=None,
            role: str = "manager") -> Cashier:
    """The approving cashier: the session's own if its role suffices, else the named
    approver's PIN (``approval_login`` is required: no PIN is tried against every manager).

    A wrong approval PIN counts against the approver's account like a wrong login PIN, so
    the same limit locks it, across sessions and cashiers.  Every outcome is audited.
    """
    if ROLE_RANK[session.cashier.role] >= ROLE_RANK[role]:
        return session.cashier
    if pin is None:
        raise Forbidden(f"{action} needs a {role}'s approval PIN", field="approval_pin",
                        code="approval_required")
    if not isinstance(approver_login, str) or not _LOGIN_RE.match(approver_login):
        raise Invalid(f"approval_login is required: the login of the {role} who approves",
                      field="approval_login")
    check_pin_format(pin)
    sec = store.config.section("security")
    if session.approval_failures >= 3 * sec["pin_attempts"]:
        raise LockedOut("too many wrong approval PINs in this session: log in again",
                        retry_after=60)
    approver = Cashier.get_or_none((Cashier.login == approver_login)
                                   & (Cashier.active == True))  # noqa: E712
    ok = verify_pin(pin, approver.pin_hash if approver else _dummy_hash())
    wait = _locked_for(approver) if approver else 0
    outcome, left = "granted", None
    if wait:
        outcome = "locked"
    elif approver is None or not ok:
        outcome = "wrong_pin"
    elif ROLE_RANK[approver.role] < ROLE_RANK[role]:
        outcome = "not_allowed"
    with store.db.write():
        if outcome == "wrong_pin":
            ApiSession.update(approval_failures=ApiSession.approval_failures + 1).where(
                ApiSession.token_hash == session.token_hash).execute()
            session.approval_failures += 1
            if approver is not None:
                left = _count_failure(store, approver, "approval")
        elif outcome == "granted" and approver.failed_attempts:
            Cashier.update(failed_attempts=0).where(Cashier.id == approver.id).execute()
        audit("approval.granted" if outcome == "granted" else "approval.refused",
              approver if outcome == "granted" else session.cashier, action=action,
              for_cashier=session.cashier.login, approver_login=approver_login,
              register=session.register_id, outcome=outcome)
    if outcome == "locked" or left == 0:
        wait = wait or sec["lockout_minutes"] * 60
        raise LockedOut(f"{approver_login} is locked for {wait // 60 + 1} min after too many "
                        "wrong PINs", field="approval_pin", retry_after=wait)
    if outcome == "wrong_pin":
        raise Forbidden("wrong approval login or PIN", field="approval_pin",
                        code="approval_refused")
    if outcome == "not_allowed":
        raise Forbidden(f"{approver.name} is a {approver.role}, not a {role}: {action} needs "
                        f"a {role}", field="approval_login", code="approval_not_allowed")
    return approver


def public(cashier: Cashier) -> dict:
    return {"login": cashier.login, "name": cashier.name, "role": cashier.role}
