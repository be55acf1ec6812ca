"""The cashier screen and the JSON API (Flask): thin over the store core in ``agent``."""

from .app import create_app

__all__ = ["create_app"]
