"""The store's core: catalog, stock, sales, returns, shifts, cashiers, outbox.

Plain Python over peewee and SQLite; no Flask, no HTTP, no device code in here.
"""

from .errors import Conflict, Forbidden, Invalid, LockedOut, NotFound, StoreError, Unauthorized
from .store import Store, init

__all__ = ["Store", "init", "StoreError", "Invalid", "NotFound", "Forbidden", "Conflict",
           "Unauthorized", "LockedOut"]
