"""Notifying customers that their order is ready: a notification outbox at the hub.

Ingest only writes a ``hub_notification`` row in its own transaction (``queue``); a worker
thread (``NotifyWorker``) sends the due ones through a pluggable notifier and never holds a
transaction while it talks to the outside, so a slow or dead webhook can never slow or
block ingest.  A row is leased (its ``next_at`` pushed ahead) before it is sent, so two
workers do not send it at once; a failure is retried with a growing pause (1 s doubling up
to 5 min) and given up as ``failed`` after ``MAX_ATTEMPTS``.  Delivery is at least once: a
crash between the send and the ``sent`` mark sends again, so receivers dedupe by
``notification_id``.

Notifiers: ``LogNotifier`` (writes one log line per message: the default of
``store-hub serve``) and ``WebhookNotifier`` (POSTs the JSON to a URL; 2xx = delivered).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timedelta, timezone

from agent.text import mask_phone

from .db import retrying
from .sql import Sql, iso

log = logging.getLogger("store_hub.notify")
MAX_ATTEMPTS = 10
LEASE_SECONDS = 60


def _at(delta: float = 0) -> str:
    return iso((datetime.now(timezone.utc) + timedelta(seconds=delta)).timestamp())


def queue(sql: Sql, order_id: str, kind: str, payload: dict) -> None:
    """In the caller's transaction: one message to send once it commits."""
    now = _at()
    sql.run("INSERT INTO hub_notification (order_id, kind, payload, status, attempts, next_at, "
            "created_at) VALUES (?,?,?,?,?,?,?)",
            (order_id, kind, json.dumps(payload, ensure_ascii=False), "pending", 0, now, now))


class LogNotifier:
    name = "log"

    def send(self, message: dict) -> None:
        log.info("notify %s: order %s is %s (customer %s)", message.get("kind"),
                 message.get("order_id"), message.get("status"),
                 mask_phone(message.get("customer_phone")))


class WebhookNotifier:
    """POST the message as JSON to ``url``; any answer but 2xx (or no answer) is a failure."""

    name = "webhook"

    def __init__(self, url: str, timeout: float = 5.0):
        if not url.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must start with http:// or https://")
        self.url, self.timeout = url, timeout

    def send(self, message: dict) -> None:
        import requests
        r = requests.post(self.url, json=message, timeout=self.timeout)
        if not 200 <= r.status_code < 300:
            raise RuntimeError(f"the webhook answered {r.status_code}")


def _lease(db, limit: int) -> list[tuple]:
    def tx():
        sql = Sql(db)
        rows = sql.rows("SELECT id, kind, payload, attempts FROM hub_notification WHERE "
                        f"status = 'pending' AND next_at <= ? ORDER BY id LIMIT {int(limit)}"
                        + (" FOR UPDATE SKIP LOCKED" if sql.pg else ""), (_at(),))
        for r in rows:
            sql.run("UPDATE hub_notification SET next_at = ? WHERE id = ?",
                    (_at(LEASE_SECONDS), r[0]))
        return rows
    return retrying(db, tx)


def drain(db, notifier, limit: int = 50) -> int:
    """Send the due messages once; returns how many were delivered."""
    sent = 0
    for nid, kind, payload, attempts in _lease(db, limit):
        message = {"notification_id": int(nid), "kind": kind, **json.loads(payload)}
        try:
            notifier.send(message)
        except Exception as e:  # noqa: BLE001 - any failure of the outside is retried
            attempts = int(attempts) + 1
            status = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            pause = min(2 ** (attempts - 1), 300)
            log.warning("notification %s (%s) failed (%s/%s): %s", nid, notifier.name,
                        attempts, MAX_ATTEMPTS, e)
            retrying(db, lambda a=attempts, s=status, p=pause, err=str(e)[:250], n=nid: Sql(
                db).run("UPDATE hub_notification SET attempts = ?, status = ?, next_at = ?, "
                        "last_error = ? WHERE id = ?", (a, s, _at(p), err, n)))
            continue
        retrying(db, lambda n=nid, a=int(attempts) + 1: Sql(db).run(
            "UPDATE hub_notification SET status = 'sent', attempts = ?, sent_at = ? "
            "WHERE id = ?", (a, _at(), n)))
        sent += 1
    return sent


class NotifyWorker:
    """A daemon thread draining the notification outbox every ``interval`` seconds."""

    def __init__(self, db, notifier, interval: float = 0.5):
        self.db, self.notifier, self.interval = db, notifier, interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hub-notifier", daemon=True)

    def start(self) -> "NotifyWorker":
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.db.connect(reuse_if_open=True)
                while drain(self.db, self.notifier) and not self.stopping.is_set():
                    pass
            except Exception:  # noqa: BLE001 - the database may be briefly away; go on
                log.exception("the notifier could not read its outbox")
            finally:
                try:
                    self.db.close()
                except Exception:  # noqa: BLE001
                    pass
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)


def make_notifier(webhook_url: str | None):
    return WebhookNotifier(webhook_url) if webhook_url else LogNotifier()
