//! Alerts: events are queued without waiting ([`Alerter::emit`] never blocks a request) and
//! a background task posts them to webhooks (generic JSON or Slack-compatible) with retries.
//! Events carry names, paths, accessors, addresses and counts — never a secret value or a
//! token.

mod webhook;

pub use webhook::{Webhook, WebhookFormat};

use crate::metrics::Metrics;
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::mpsc;

/// Something worth telling a human about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum AlertEvent {
    /// `count` failed authentications from one address or for one token within `window_secs`.
    FailedAuth {
        /// `address` or `token` (a token is named by the first 8 hex digits of its keyed
        /// hash, or its accessor when it is known).
        subject_kind: String,
        /// The address or token fingerprint.
        subject: String,
        /// Failures counted.
        count: u32,
        /// The window.
        window_secs: u64,
    },
    /// A token was revoked.
    Revocation {
        /// Revoked accessors.
        accessors: Vec<String>,
        /// Display name of the revoked token.
        display_name: String,
        /// Who revoked it.
        by: String,
    },
    /// A rotation failed.
    RotationFailed {
        /// `ENV/NAME`.
        path: String,
        /// The error (never a value).
        error: String,
    },
    /// A rotation is overdue.
    RotationOverdue {
        /// `ENV/NAME`.
        path: String,
        /// When it was due (RFC 3339).
        due: String,
    },
    /// A token read a secret it never read before.
    FirstRead {
        /// The token's accessor.
        accessor: String,
        /// Its display name.
        display_name: String,
        /// The API path read.
        path: String,
    },
    /// The audit chain does not verify.
    AuditVerifyFailed {
        /// What is broken.
        detail: String,
    },
}

impl AlertEvent {
    /// The event's name (`failed-auth`, …), as used in `events = [...]`.
    pub fn name(&self) -> &'static str {
        match self {
            AlertEvent::FailedAuth { .. } => "failed-auth",
            AlertEvent::Revocation { .. } => "revocation",
            AlertEvent::RotationFailed { .. } => "rotation-failed",
            AlertEvent::RotationOverdue { .. } => "rotation-overdue",
            AlertEvent::FirstRead { .. } => "first-read",
            AlertEvent::AuditVerifyFailed { .. } => "audit-verify-failed",
        }
    }

    /// All event names.
    pub const NAMES: [&'static str; 6] = [
        "failed-auth",
        "revocation",
        "rotation-failed",
        "rotation-overdue",
        "first-read",
        "audit-verify-failed",
    ];

    /// One line for humans (Slack text).
    pub fn summary(&self) -> String {
        match self {
            AlertEvent::FailedAuth { subject_kind, subject, count, window_secs } => format!(
                "keyward: {count} failed authentications from {subject_kind} {subject} within {window_secs}s"
            ),
            AlertEvent::Revocation { accessors, display_name, by } => format!(
                "keyward: token {display_name} revoked by {by} ({} token(s): {})",
                accessors.len(),
                accessors.join(", ")
            ),
            AlertEvent::RotationFailed { path, error } => format!("keyward: rotation of {path} failed: {error}"),
            AlertEvent::RotationOverdue { path, due } => format!("keyward: rotation of {path} is overdue (due {due})"),
            AlertEvent::FirstRead { accessor, display_name, path } => {
                format!("keyward: token {display_name} ({accessor}) read {path} for the first time")
            }
            AlertEvent::AuditVerifyFailed { detail } => format!("keyward: the audit chain does not verify: {detail}"),
        }
    }
}

/// Alert thresholds.
#[derive(Clone, Debug)]
pub struct AlertSettings {
    /// Failed authentications that trigger an alert…
    pub failed_auth_threshold: u32,
    /// …within this window.
    pub failed_auth_window: Duration,
    /// Alert on a token's first read of a secret.
    pub first_read: bool,
    /// Delays between delivery attempts (their count + 1 = attempts).
    pub retry_delays: Vec<Duration>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            failed_auth_threshold: 5,
            failed_auth_window: Duration::from_secs(300),
            first_read: false,
            retry_delays: vec![
                Duration::from_secs(1),
                Duration::from_secs(5),
                Duration::from_secs(30),
            ],
        }
    }
}

/// Queues alerts and keeps the failed-authentication windows.
pub struct Alerter {
    tx: Option<mpsc::Sender<(SystemTime, AlertEvent)>>,
    settings: AlertSettings,
    failures: Mutex<HashMap<(String, String), VecDeque<Instant>>>,
    reads: Mutex<HashSet<(String, String)>>,
    metrics: Arc<Metrics>,
}

/// Alerts waiting for delivery before new ones are dropped (and counted).
const QUEUE: usize = 1024;
/// Subjects tracked for failed authentications before old ones are forgotten.
const MAX_SUBJECTS: usize = 50_000;

impl Alerter {
    /// Start delivery to `hooks` (none: alerts are only logged).
    pub fn start(hooks: Vec<Webhook>, settings: AlertSettings, metrics: Arc<Metrics>) -> Alerter {
        let tx = (!hooks.is_empty()).then(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(webhook::deliver(
                rx,
                hooks,
                settings.retry_delays.clone(),
                metrics.clone(),
            ));
            tx
        });
        Alerter {
            tx,
            settings,
            failures: Mutex::new(HashMap::new()),
            reads: Mutex::new(HashSet::new()),
            metrics,
        }
    }

    /// Queue an event; never waits.
    pub fn emit(&self, event: AlertEvent) {
        tracing::warn!(alert = event.name(), summary = %event.summary(), "alert");
        if let Some(tx) = &self.tx {
            if tx.try_send((SystemTime::now(), event)).is_err() {
                self.metrics.alert("dropped");
            }
        }
    }

    /// Record a failed authentication; alerts once when the threshold is reached within the
    /// window (then the count starts again).
    pub fn auth_failed(&self, subject_kind: &str, subject: &str) {
        let now = Instant::now();
        let window = self.settings.failed_auth_window;
        let count = {
            let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            if f.len() > MAX_SUBJECTS {
                f.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
            }
            let q = f
                .entry((subject_kind.to_string(), subject.to_string()))
                .or_default();
            q.push_back(now);
            while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
                q.pop_front();
            }
            let n = q.len() as u32;
            if n >= self.settings.failed_auth_threshold {
                q.clear();
            }
            n
        };
        if count >= self.settings.failed_auth_threshold {
            self.emit(AlertEvent::FailedAuth {
                subject_kind: subject_kind.into(),
                subject: subject.into(),
                count,
                window_secs: window.as_secs(),
            });
        }
    }

    /// Record a successful read; alerts when `first_read` is on and this token never read
    /// this path before (in this server's lifetime).
    pub fn read(&self, accessor: &str, display_name: &str, path: &str) {
        if !self.settings.first_read {
            return;
        }
        let new = {
            let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
            if reads.len() >= MAX_SUBJECTS {
                // Bounded memory: forget, and accept repeated first-read alerts afterwards.
                reads.clear();
            }
            reads.insert((accessor.to_string(), path.to_string()))
        };
        if new {
            self.emit(AlertEvent::FirstRead {
                accessor: accessor.into(),
                display_name: display_name.into(),
                path: path.into(),
            });
        }
    }
}
