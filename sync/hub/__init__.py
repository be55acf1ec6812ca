"""The reference hub: ``store-hub`` (Flask + peewee over SQLite or PostgreSQL)."""

from .app import HubConfig, create_app

__all__ = ["HubConfig", "create_app"]
