//! `/metrics`: Prometheus text (OpenMetrics) from `prometheus-client`. Labels are coarse
//! (route class, method, status), never paths or token accessors, so cardinality stays flat
//! and no secret name leaks into monitoring.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    auth_failures: Family<KindLabels, Counter>,
    rate_limited: Family<KindLabels, Counter>,
    audit_batches: Counter,
    audit_failures: Counter,
    audit_batch_size: Histogram,
    alerts: Family<KindLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("keyward");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let auth_failures = Family::<KindLabels, Counter>::default();
        let rate_limited = Family::<KindLabels, Counter>::default();
        let audit_batches = Counter::default();
        let audit_failures = Counter::default();
        let audit_batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 10));
        let alerts = Family::<KindLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route class, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Request latency by route class",
            latency.clone(),
        );
        registry.register(
            "auth_failures",
            "Failed authentications by kind",
            auth_failures.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused with 429, by scope",
            rate_limited.clone(),
        );
        registry.register(
            "audit_batches",
            "Audit group commits",
            audit_batches.clone(),
        );
        registry.register(
            "audit_failures",
            "Audit group commits that failed",
            audit_failures.clone(),
        );
        registry.register(
            "audit_batch_entries",
            "Entries per audit group commit",
            audit_batch_size.clone(),
        );
        registry.register("alerts", "Alert deliveries by outcome", alerts.clone());
        Metrics {
            registry,
            requests,
            latency,
            auth_failures,
            rate_limited,
            audit_batches,
            audit_failures,
            audit_batch_size,
            alerts,
        }
    }
}

impl Metrics {
    /// Count a finished request.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.into(),
                method: method.into(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.into(),
            })
            .observe(seconds);
    }

    /// Count a failed authentication (`invalid_token`, `expired_token`, `jwt`…).
    pub fn auth_failure(&self, kind: &str) {
        self.auth_failures
            .get_or_create(&KindLabels { kind: kind.into() })
            .inc();
    }

    /// Count a 429 (`token` or `address`).
    pub fn rate_limited(&self, scope: &str) {
        self.rate_limited
            .get_or_create(&KindLabels { kind: scope.into() })
            .inc();
    }

    /// Count an audit group commit of `n` entries.
    pub fn audit_batch(&self, n: usize, ok: bool) {
        self.audit_batches.inc();
        self.audit_batch_size.observe(n as f64);
        if !ok {
            self.audit_failures.inc();
        }
    }

    /// Count an alert delivery (`sent`, `failed`, `dropped`).
    pub fn alert(&self, outcome: &str) {
        self.alerts
            .get_or_create(&KindLabels {
                kind: outcome.into(),
            })
            .inc();
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}
