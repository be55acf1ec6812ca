"""Structured logs: one JSON object per line, to stderr and (optionally) a rotating file.

Used by ``store-agent serve`` (``[log]`` in config.toml) and ``store-hub serve``
(``--log-file``).  Each HTTP request is one line on the ``*.access`` logger with the route
pattern (``/api/v1/customers/<phone>``, never the phone itself), status and duration; other
actions log with ``extra={"fields": {...}}``.  Nothing secret is written: fields named like
a token, PIN, password, signature or authorization are replaced by ``"***"``, and bearer
tokens and signature values are cut out of messages.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from datetime import datetime, timezone

SECRET_KEYS = re.compile(r"token|pin|password|secret|signature|authorization|cookie", re.I)
_SECRET_TEXT = re.compile(r"(Bearer\s+)\S+|(v[12]=)[0-9a-fA-F]{16,}|(pin[\"']?\s*[:=]\s*[\"']?)"
                          r"[0-9]+", re.I)


def scrub_text(text: str) -> str:
    return _SECRET_TEXT.sub(lambda m: (m.group(1) or m.group(2) or m.group(3)) + "***", text)


def scrub(fields: dict) -> dict:
    return {k: ("***" if SECRET_KEYS.search(k) else v) for k, v in fields.items()}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {"ts": datetime.fromtimestamp(record.created, timezone.utc).strftime(
                   "%Y-%m-%dT%H:%M:%S.%fZ"),
               "level": record.levelname.lower(), "logger": record.name,
               "msg": scrub_text(record.getMessage())}
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(scrub(fields))
        if record.exc_info:
            out["error"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def remove() -> None:
    """Take the JSON handlers off again (tests)."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_json_log", False):
            root.removeHandler(h)
            h.close()


def setup(level: str = "WARNING", file: str | None = None, max_bytes: int = 10_000_000,
          backups: int = 5, access: str = "store_agent.access", stream=None) -> None:
    """Route every log record as JSON lines to stderr and ``file`` (rotated at
    ``max_bytes``, ``backups`` old files kept); the access logger always logs requests."""
    remove()
    root = logging.getLogger()
    handlers: list[logging.Handler] = [logging.StreamHandler(stream or sys.stderr)]
    if file:
        handlers.append(logging.handlers.RotatingFileHandler(
            file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"))
    for h in handlers:
        h.setFormatter(JsonFormatter())
        h._json_log = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(getattr(logging, str(level).upper(), logging.WARNING))
    logging.getLogger(access).setLevel(logging.INFO)


def request_line(logger: logging.Logger, method: str, route: str, status: int, ms: float,
                 **fields) -> None:
    logger.info("%s %s %s", method, route, status,
                extra={"fields": {"method": method, "route": route, "status": status,
                                  "ms": round(ms, 1), **fields}})
