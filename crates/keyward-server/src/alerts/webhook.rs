//! Webhook delivery: one task, one HTTP client, bounded retries with back-off; a webhook
//! that keeps failing delays only later alerts, never a request.

use super::AlertEvent;
use crate::metrics::Metrics;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::mpsc;

/// Payload shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookFormat {
    /// `{"source":"keyward","event":…,"time":…,"summary":…,"details":{…}}`.
    Json,
    /// `{"text": "…"}` (Slack incoming webhooks, Mattermost, Rocket.Chat).
    Slack,
}

/// One destination.
#[derive(Clone)]
pub struct Webhook {
    /// The URL (may carry a credential: never logged).
    pub url: String,
    /// Payload shape.
    pub format: WebhookFormat,
    /// Event names sent (empty: all).
    pub events: Vec<String>,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("format", &self.format)
            .field("events", &self.events)
            .finish()
    }
}

fn body(format: WebhookFormat, time: SystemTime, event: &AlertEvent) -> serde_json::Value {
    match format {
        WebhookFormat::Slack => json!({ "text": event.summary() }),
        WebhookFormat::Json => json!({
            "source": "keyward",
            "event": event.name(),
            "time": humantime::format_rfc3339_millis(time).to_string(),
            "summary": event.summary(),
            "details": event,
        }),
    }
}

/// Deliver queued events until the queue closes.
pub(super) async fn deliver(
    mut rx: mpsc::Receiver<(SystemTime, AlertEvent)>,
    hooks: Vec<Webhook>,
    delays: Vec<Duration>,
    metrics: Arc<Metrics>,
) {
    crate::install_crypto_provider();
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; alerts are only logged");
            return;
        }
    };
    while let Some((time, event)) = rx.recv().await {
        for (i, hook) in hooks.iter().enumerate() {
            if !hook.events.is_empty() && !hook.events.iter().any(|e| e == event.name()) {
                continue;
            }
            let payload = body(hook.format, time, &event);
            let mut attempt = 0;
            loop {
                let outcome = client.post(&hook.url).json(&payload).send().await;
                let (ok, retry) = match &outcome {
                    Ok(r) => (
                        r.status().is_success(),
                        r.status().is_server_error() || r.status() == 429,
                    ),
                    Err(_) => (false, true),
                };
                if ok {
                    metrics.alert("sent");
                    break;
                }
                let why = match outcome {
                    Ok(r) => format!("HTTP {}", r.status().as_u16()),
                    Err(e) if e.is_timeout() => "timeout".into(),
                    Err(e) if e.is_connect() => "connection failed".into(),
                    Err(_) => "request failed".into(),
                };
                match delays.get(attempt).filter(|_| retry) {
                    Some(d) => {
                        tracing::warn!(webhook = i, attempt = attempt + 1, %why, "alert delivery failed; retrying");
                        tokio::time::sleep(*d).await;
                        attempt += 1;
                    }
                    None => {
                        tracing::error!(webhook = i, event = event.name(), %why, "alert delivery failed; giving up");
                        metrics.alert("failed");
                        break;
                    }
                }
            }
        }
    }
}
