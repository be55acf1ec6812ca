"""Building an OpenAPI 3.0 document from a table of routes: one way for the agent's API
(``pos_ui/openapi.py``) and the hub's (``sync/hub/openapi.py``).  Plain data, no Flask."""

from __future__ import annotations

ID = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "field": {"type": "string"}}}}}


def build(routes, title="store-agent API", version="1", public=frozenset(),
          security=None, path_params=None, description="", required=None) -> dict:
    """An OpenAPI 3.0 document from a routes table (the hub builds its own the same way)."""
    security = security or {"cashier": {"type": "http", "scheme": "bearer"}}
    path_params = path_params or {}
    paths: dict = {}
    for method, path, summary, body, query, ok in routes:
        op: dict = {"summary": summary, "responses": {}}
        for s in ok:  # "200", or ("200", "text/html") for a page
            status, media = s if isinstance(s, tuple) else (s, "application/json")
            schema = {"type": "object"} if media == "application/json" else {"type": "string"}
            op["responses"][status] = {"description": "done", "content": {media: {
                "schema": schema}}}
        op["responses"]["default"] = {"description": "refused: 4xx, or 503 when storage "
                                      "fails", "content": {"application/json": {"schema": ERROR}}}
        params = [{"name": n, "in": "path", "required": True, "schema": path_params[n]}
                  for n in path_params if "{" + n + "}" in path]
        params += [{"name": n, "in": "query", "required": False, "schema": s}
                   for n, s in query.items()]
        if params:
            op["parameters"] = params
        if body is not None:
            schema = {"type": "object", "properties": body, "additionalProperties": False}
            if (required or {}).get(path):
                schema["required"] = list(required[path])
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": schema}}}
        if (method, path) not in public:
            op["security"] = [{k: []} for k in security]
        paths.setdefault(path, {})[method] = op
    return {"openapi": "3.0.3",
            "info": {"title": title, "version": version, "description": description},
            "paths": paths,
            "components": {"securitySchemes": security, "schemas": {"Error": ERROR}}}
