"""``GET /metrics`` on the agent: Prometheus text format.

From the store's database at scrape time: sales (count and kopecks, voided left out),
outbox events pending and pushed (acked by the hub), whether sync is blocked by an event
the hub rejected, fiscal documents pending or failed (sales, returns, Z reports), print
jobs queued or failed.  Process-local: push latency (one push to the hub).  Served to
loopback clients only (Prometheus or node_exporter's textfile collector on the till); a
scrape from elsewhere needs ``[server] metrics_token`` as a bearer token.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, request
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from agent import outbox
from agent.models import PrintJob, Sale, SaleReturn, Shift

LOOPBACK = ("127.0.0.1", "::1")


class _FromStore:
    def __init__(self, store):
        self.store = store

    def collect(self):
        sales = Sale.select().where((Sale.fiscal_status.is_null()) |
                                    (Sale.fiscal_status != "voided"))
        count = GaugeMetricFamily("store_agent_sales", "sales made (voided left out)")
        count.add_metric([], sales.count())
        yield count
        total = GaugeMetricFamily("store_agent_sales_kopecks", "total of the sales made")
        from peewee import fn
        total.add_metric([], int(sales.select(fn.SUM(Sale.total)).scalar() or 0))
        yield total
        acked, last = outbox.acked_through(), outbox.last_seq()
        events = GaugeMetricFamily("store_agent_events", "outbox events by state",
                                   labels=["state"])
        events.add_metric(["pending"], max(0, last - acked))
        events.add_metric(["pushed"], acked)
        blocked = outbox.get_state("blocked_seq")
        events.add_metric(["rejected"], 1 if blocked and int(blocked) > acked else 0)
        yield events
        fiscal = GaugeMetricFamily("store_agent_fiscal_documents", "fiscal documents waiting "
                                   "for or refused by the register", labels=["kind", "status"])
        for status in ("pending", "failed"):
            fiscal.add_metric(["sale", status],
                              Sale.select().where(Sale.fiscal_status == status).count())
            fiscal.add_metric(["return", status], SaleReturn.select().where(
                SaleReturn.fiscal_status == status).count())
            fiscal.add_metric(["z_report", status], Shift.select().where(
                Shift.fiscal_z_status == status).count())
        yield fiscal
        jobs = GaugeMetricFamily("store_agent_print_jobs", "print jobs by status",
                                 labels=["status"])
        for status in ("queued", "failed"):
            jobs.add_metric([status], PrintJob.select().where(PrintJob.status == status).count())
        yield jobs


class AgentMetrics:
    def __init__(self, store):
        self.registry = CollectorRegistry()
        self.push_seconds = Histogram("store_agent_push_seconds", "one push to the hub, sent "
                                      "to answered", registry=self.registry,
                                      buckets=(.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30))
        self.registry.register(_FromStore(store))


def make_blueprint(store, metrics: AgentMetrics) -> Blueprint:
    bp = Blueprint("metrics", __name__)
    token = store.config.get("server", "metrics_token")

    @bp.get("/metrics")
    def prometheus():
        if request.remote_addr not in LOOPBACK:
            given = request.headers.get("Authorization", "")
            if not token or not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                abort(403, "metrics are served to this host only (or set [server] "
                           "metrics_token)")
        return Response(generate_latest(metrics.registry),
                        mimetype="text/plain; version=0.0.4")

    return bp
