"""Writes the API references in docs/ from the OpenAPI descriptions of the agent and the
hub: ``python -m pos_ui.apidocs`` (a test keeps docs/ equal to what this writes)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sync import apidoc

DOCS = Path(__file__).resolve().parents[1] / "docs"
COMMAND = "python -m pos_ui.apidocs"


def files() -> dict[str, str]:
    """docs/ file name -> its text."""
    from sync.hub.openapi import document as hub_doc

    from .openapi import document as agent_doc
    agent, hub = agent_doc(), hub_doc()
    return {"openapi-agent.json": json.dumps(agent, ensure_ascii=False, indent=1) + "\n",
            "openapi-hub.json": json.dumps(hub, ensure_ascii=False, indent=1) + "\n",
            "api-agent.md": apidoc.markdown(agent, "store-agent HTTP API", COMMAND),
            "api-hub.md": apidoc.markdown(hub, "store-hub HTTP API", COMMAND)}


def main() -> int:
    for name, text in files().items():
        (DOCS / name).write_text(text, encoding="utf-8")
        print(f"wrote docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
