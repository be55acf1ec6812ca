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


def _schema_text(schema: dict) -> str:
    """A short human reading of a field's schema: `integer 0..1000`, `one of a, b`."""
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" for v in schema["enum"])
    if "oneOf" in schema:
        return " or ".join(_schema_text(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_schema_text(schema.get('items', {}))}" + (
            f", at most {schema['maxItems']}" if "maxItems" in schema else "")
    if kind == "object" and "properties" in schema:
        return "object {" + ", ".join(schema["properties"]) + "}"
    if "pattern" in schema:
        return f"{kind} `{schema['pattern']}`"
    if "minimum" in schema or "maximum" in schema:
        return f"{kind} {schema.get('minimum', '')}..{schema.get('maximum', '')}"
    if "maxLength" in schema:
        return f"{kind} (≤ {schema['maxLength']} chars)"
    return kind


def _cell(schema: dict) -> str:
    return _schema_text(schema).replace("|", "\\|")


def markdown(doc: dict, title: str, regenerate: str) -> str:
    """The OpenAPI document as a Markdown reference: one section per route with its
    parameters, body fields and statuses (docs/api-*.md are this, kept equal by a test)."""
    out = [f"# {title}", "", f"<!-- generated from the OpenAPI description by `{regenerate}`;"
           " do not edit -->", "", doc["info"].get("description", ""), "",
           "Errors are `{\"error\": {\"code\", \"message\", \"field\"?}}` with a 4xx status "
           "(503 when storage fails); nothing is written on a refused request.", "",
           "| method | path | summary |", "|---|---|---|"]
    ops = [(path, method, op) for path, methods in doc["paths"].items()
           for method, op in methods.items()]
    for path, method, op in ops:
        out.append(f"| `{method.upper()}` | `{path}` | {op['summary'].replace('|', '/')} |")
    for path, method, op in ops:
        out += ["", f"## `{method.upper()} {path}`", "", op["summary"], ""]
        out.append("Authentication: " + (", ".join(k for s in op["security"] for k in s)
                                          if op.get("security") else "none") + ".")
        params = op.get("parameters", [])
        if params:
            out += ["", "| parameter | in | schema |", "|---|---|---|"]
            out += [f"| `{p['name']}` | {p['in']} | {_cell(p['schema'])} |"
                    for p in params]
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        props = body.get("schema", {}).get("properties")
        if props is not None:
            required = set(body["schema"].get("required", []))
            out += ["", "| body field | required | schema |", "|---|---|---|"]
            out += [f"| `{name}` | {'yes' if name in required else ''} | {_cell(s)} |"
                    for name, s in props.items()]
            if not props:
                out.append("| (an empty object `{}`) | | |")
        ok = [s for s in op["responses"] if s != "default"]
        out += ["", "Answers: " + ", ".join(f"`{s}`" for s in ok) + "; refusals as above."]
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"
