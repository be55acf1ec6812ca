"""The API references in docs/ are what ``python -m pos_ui.apidocs`` writes from the OpenAPI
descriptions: a route added to a table without regenerating the docs fails here."""

from __future__ import annotations

from pos_ui.apidocs import DOCS, files


def test_docs_are_generated_from_the_openapi_descriptions():
    for name, text in files().items():
        assert (DOCS / name).read_text(encoding="utf-8") == text, \
            f"docs/{name} is stale: run python -m pos_ui.apidocs"


def test_every_agent_route_has_a_section_in_the_reference():
    from pos_ui.openapi import ROUTES
    text = files()["api-agent.md"]
    for method, path, summary, *_ in ROUTES:
        assert f"## `{method.upper()} {path}`" in text
        assert summary in text
    assert "| `pin` | yes | string `^[0-9]{4,8}$` |" in text
