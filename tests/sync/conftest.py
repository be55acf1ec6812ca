"""Fixtures for the sync tests: hubs on SQLite and PostgreSQL, stores that push to them."""

from __future__ import annotations

import pytest

from tests.conftest import make_store

from .hubkit import HubServer, pg_available, pg_drop, pg_schema_url


@pytest.fixture
def pg_url():
    why = pg_available()
    if why:
        pytest.skip(why)
    url, schema = pg_schema_url()
    yield url
    pg_drop(schema)


@pytest.fixture
def hub(tmp_path):
    h = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
    yield h
    h.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("postgres-deferred", marks=pytest.mark.postgres)])
def any_hub(request, tmp_path):
    """The same scenario on a SQLite hub and on a PostgreSQL hub, the latter also with
    deferred projection (pushes acknowledged before sales, stock and bonuses are applied;
    every read waits for them)."""
    if request.param == "sqlite":
        h = HubServer(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path)
        yield h
        h.stop()
        return
    why = pg_available()
    if why:
        pytest.skip(why)
    url, schema = pg_schema_url()
    h = HubServer(url, tmp_path, projection="deferred" if request.param.endswith("deferred")
                  else "inline")
    yield h
    h.stop()
    pg_drop(schema)


def synced_store(tmp_path, hub_url: str, tok: str, store_id: str = "S1", **hub_cfg):
    cfg = {"url": hub_url, "token": tok, "push_interval": 0.2, "feed_interval": 0.5,
           "timeout": 5.0}
    cfg.update(hub_cfg)
    return make_store(tmp_path / f"store-{store_id}", store_id, hub=cfg)
