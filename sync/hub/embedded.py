"""The demo's hub: in-process, on a free loopback port, SQLite under the demo's data dir.

``start_embedded_hub(base_dir, extra_config)`` registers the demo store ``DEMO-1`` with a
random token and puts ``{"url", "token"}`` into ``extra_config["hub"]``.  A kept demo data
dir keeps its hub: the store's existing token is reused, and the previous port when free.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from agent.demo import free_port as _port  # the demo's one port picker

from .serving import BackgroundServer

STORE_ID = "DEMO-1"



class EmbeddedHub:
    def __init__(self, server: BackgroundServer, url: str, admin_token: str):
        self.server, self.url, self.admin_token = server, url, admin_token

    def describe(self) -> list[str]:
        return [f"hub:         {self.url}  (store-hub, SQLite)",
                f"hub admin token: {self.admin_token}"]

    def stop(self) -> None:
        self.server.stop()


def start_embedded_hub(base_dir, extra_config: dict) -> EmbeddedHub:
    from .app import HubConfig, bind, create_app
    from .registry import add_store, init_hub
    from .vault import load_secret

    hub_dir = Path(base_dir) / "hub"
    hub_dir.mkdir(parents=True, exist_ok=True)
    state_file = hub_dir / "demo.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {
        "admin_token": secrets.token_urlsafe(24), "store_token": secrets.token_urlsafe(24),
        "port": 0}
    url = f"sqlite:///{hub_dir / 'hub.db'}"
    secret = load_secret(url, create=True)
    db = bind(url)
    init_hub(db, state["admin_token"], secret)
    add_store(db, STORE_ID, state["store_token"], secret)
    port = _port(state["port"])
    app = create_app(HubConfig(db_url=url, secret=secret))
    server = BackgroundServer(app, "127.0.0.1", port, threads=4)
    state["port"] = server.port
    state_file.write_text(json.dumps(state))
    os.chmod(state_file, 0o600)
    hub_url = server.url
    extra_config.setdefault("hub", {}).update({"url": hub_url, "token": state["store_token"]})
    if (Path(base_dir) / "store" / "config.toml").exists():  # a kept demo: config is written
        os.environ["STORE_AGENT_HUB_URL"] = hub_url
        os.environ["STORE_AGENT_HUB_TOKEN"] = state["store_token"]
    server.start()
    return EmbeddedHub(server, hub_url, state["admin_token"])
