"""``GET /metrics`` on the hub: Prometheus text format.

Process-local (this ``store-hub serve`` process): requests by route and status, push
latency.  From the database at scrape time (the same in every process over one
PostgreSQL; Prometheus keeps them apart by its ``instance`` label): per store its status,
lag, backlog, seconds since last contact and events held; events rejected and quarantined;
sales count and amount.  Served without a token to loopback clients (Prometheus on the
hub's host, the usual setup); from anywhere else the admin token is required.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .fleet import stores
from .sql import Sql

LOOPBACK = ("127.0.0.1", "::1")


class _FromDatabase:
    def __init__(self, db, limits):
        self.db, self.limits = db, limits

    def collect(self):
        fams = {
            "lag": GaugeMetricFamily("store_hub_store_lag_seconds", "hub receipt minus store "
                                     "time of the newest event held", labels=["store_id"]),
            "backlog": GaugeMetricFamily("store_hub_store_backlog_events", "events the store "
                                         "reported but the hub does not hold yet",
                                         labels=["store_id"]),
            "seen": GaugeMetricFamily("store_hub_store_last_seen_age_seconds", "seconds since "
                                      "the store's last contact", labels=["store_id"]),
            "held": GaugeMetricFamily("store_hub_store_events_held", "acked_through: the "
                                      "store's events the hub holds", labels=["store_id"]),
            "status": GaugeMetricFamily("store_hub_store_status", "1 for the store's status "
                                        "(ok, lagging, dead)", labels=["store_id", "status"]),
        }
        for s in stores(self.db, self.limits):
            sid = s["store_id"]
            if s["lag_seconds"] is not None:
                fams["lag"].add_metric([sid], s["lag_seconds"])
            if s["backlog"] is not None:
                fams["backlog"].add_metric([sid], s["backlog"])
            if s["seen_seconds_ago"] is not None:
                fams["seen"].add_metric([sid], s["seen_seconds_ago"])
            fams["held"].add_metric([sid], s["acked_through"])
            for status in ("ok", "lagging", "dead"):
                fams["status"].add_metric([sid, status], 1 if s["status"] == status else 0)
        yield from fams.values()
        sql = Sql(self.db)
        rejected = GaugeMetricFamily("store_hub_events_rejected", "poison events by status",
                                     labels=["status"])
        found = dict(sql.rows("SELECT status, COUNT(*) FROM hub_rejected_event GROUP BY status"))
        for status in ("rejected", "quarantined", "not_applied"):
            rejected.add_metric([status], int(found.get(status) or 0))
        yield rejected
        from .projector import backlog
        waiting = GaugeMetricFamily("store_hub_projection_backlog_events", "events acknowledged "
                                    "to the stores and not yet applied to sales, stock and "
                                    "bonuses (deferred projection)")
        waiting.add_metric([], backlog(self.db))
        yield waiting
        count = GaugeMetricFamily("store_hub_sales", "sales held (voided ones left out)",
                                  labels=["store_id"])
        amount = GaugeMetricFamily("store_hub_sales_kopecks", "total of the sales held",
                                   labels=["store_id"])
        for sid, n, total in sql.rows("SELECT store_id, COUNT(*), SUM(total) FROM hub_sale "
                                      "WHERE voided_seq IS NULL GROUP BY store_id"):
            count.add_metric([sid], int(n or 0))
            amount.add_metric([sid], int(total or 0))
        yield count
        yield amount


class HubMetrics:
    def __init__(self, db, limits):
        self.registry = CollectorRegistry()
        self.requests = Counter("store_hub_http_requests", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.push_seconds = Histogram("store_hub_push_seconds", "time to take one push "
                                      "(check, store, and apply unless deferred)", registry=self.registry,
                                      buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.registry.register(_FromDatabase(db, limits))

    def render(self) -> bytes:
        return generate_latest(self.registry)
