"""Only the store's own pages may call the agent: the ``Host`` and ``Origin`` check.

A page on another origin (another localhost port, a web site) could otherwise make the
cashier's browser post to the agent, e.g. six wrong sign-ins that lock a cashier out, and
a DNS-rebinding page could read the API under its own host name.  So:

* ``Host`` must name the agent: an IP literal (the LAN registers), ``localhost``, the
  configured ``[server] host`` or a host of ``[server] allowed_origins``; else 403.
* The hub's pull API (``/sync/``, HMAC-signed, called by host name) is not checked.
* ``Origin``, when the browser sends one, must be the agent's own (the same scheme, host
  and port as the request) or listed in ``[server] allowed_origins``; else 403.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from agent.errors import Forbidden


def _host_only(hostport: str) -> str:
    hostport = hostport.strip().lower()
    if hostport.startswith("["):  # [::1]:8080
        return hostport[1:hostport.find("]")] if "]" in hostport else hostport
    return hostport.rsplit(":", 1)[0] if hostport.count(":") == 1 else hostport


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


class OriginGuard:
    def __init__(self, config):
        server = config.section("server")
        self.origins = {o.rstrip("/").lower() for o in server.get("allowed_origins") or []}
        self.hosts = {"localhost", (server.get("host") or "").lower()}
        self.hosts.update(urlsplit(o).hostname or "" for o in self.origins)
        self.hosts.discard("")

    def check(self, request) -> None:
        if request.path.startswith("/sync/"):  # the hub's signed pull calls, by any host name
            return
        host = request.headers.get("Host", "")
        name = _host_only(host)
        if not (_is_ip(name) or name in self.hosts):
            raise Forbidden(f"this agent does not answer to the host name {name[:80]!r} (add it "
                            "to [server] allowed_origins)", field="Host", code="bad_host")
        origin = request.headers.get("Origin")
        if origin is None:
            return
        own = f"{request.scheme}://{host}".lower()
        if origin.rstrip("/").lower() not in (own, *self.origins):
            raise Forbidden(f"requests from {origin[:80]} are not allowed (only the agent's own "
                            "pages, or [server] allowed_origins)", field="Origin",
                            code="bad_origin")
