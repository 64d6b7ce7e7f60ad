//! GCRA in this process. For each (key, quota) the state is one instant, the theoretical
//! arrival time (TAT). A request at `now` is allowed when `max(TAT, now) + T - now <= W`
//! (T: emission interval, W: window), which admits a burst of `limit` and then one request
//! per T; the Redis script computes exactly the same.

use super::{Decision, Quota, QuotaState};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What GCRA computed for one quota: new TAT, allowed, wait, remaining, reset.
pub(crate) struct Step {
    pub new_tat: u128,
    pub allowed: bool,
    pub wait: u128,
    pub state: QuotaState,
}

/// One GCRA step in nanoseconds.
pub(crate) fn step(quota: &Quota, tat: u128, now: u128) -> Step {
    let t = quota.interval().as_nanos().max(1);
    let w = quota.window.as_nanos();
    let new_tat = tat.max(now) + t;
    let ahead = new_tat - now;
    let allowed = ahead <= w;
    let wait = ahead.saturating_sub(w);
    let used = if allowed { ahead } else { ahead - t };
    let remaining = ((w - used.min(w)) / t) as u32;
    let reset = used.div_ceil(1_000_000_000) as u64;
    Step {
        new_tat,
        allowed,
        wait,
        state: QuotaState {
            quota: quota.clone(),
            remaining,
            reset,
        },
    }
}

/// Fold the steps of several quotas into one all-or-nothing decision.
pub(crate) fn decide(steps: &[Step]) -> Decision {
    let allowed = steps.iter().all(|s| s.allowed);
    let wait = steps.iter().map(|s| s.wait).max().unwrap_or(0);
    Decision {
        allowed,
        retry_after: Duration::from_nanos(wait.min(u64::MAX as u128) as u64),
        states: steps.iter().map(|s| s.state.clone()).collect(),
    }
}

/// Counters in memory.
pub struct LocalGcra {
    epoch: Instant,
    tats: Mutex<HashMap<String, u128>>,
}

impl Default for LocalGcra {
    fn default() -> Self {
        LocalGcra {
            epoch: Instant::now(),
            tats: Mutex::new(HashMap::new()),
        }
    }
}

/// Above this many tracked keys, expired ones are swept.
const SWEEP_AT: usize = 100_000;

impl LocalGcra {
    /// Check and, when every quota allows, charge `key`.
    pub fn check(&self, key: &str, quotas: &[Quota], at: Instant) -> Decision {
        let now = at.saturating_duration_since(self.epoch).as_nanos();
        let mut tats = self.tats.lock().unwrap_or_else(|e| e.into_inner());
        let ids: Vec<String> = quotas.iter().map(|q| format!("{key}|{}", q.name)).collect();
        let steps: Vec<Step> = quotas
            .iter()
            .zip(&ids)
            .map(|(q, id)| step(q, tats.get(id).copied().unwrap_or(0), now))
            .collect();
        let d = decide(&steps);
        if d.allowed {
            if tats.len() > SWEEP_AT {
                tats.retain(|_, tat| *tat > now);
            }
            for (id, s) in ids.into_iter().zip(&steps) {
                tats.insert(id, s.new_tat);
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_one_per_interval() {
        let l = LocalGcra::default();
        let q = [Quota::parse("t", "3/s").unwrap()];
        let t0 = Instant::now();
        let rem: Vec<u32> = (0..3)
            .map(|_| l.check("k", &q, t0))
            .map(|d| {
                assert!(d.allowed);
                d.states[0].remaining
            })
            .collect();
        assert_eq!(rem, vec![2, 1, 0]);
        let d = l.check("k", &q, t0);
        assert!(!d.allowed);
        assert!(
            d.retry_after > Duration::from_millis(300)
                && d.retry_after <= Duration::from_millis(334),
            "{:?}",
            d.retry_after
        );
        assert!(l.check("k", &q, t0 + Duration::from_millis(340)).allowed);
        assert!(l.check("other", &q, t0).allowed, "keys are independent");
    }

    #[test]
    fn several_windows_are_all_or_nothing() {
        let l = LocalGcra::default();
        let q = [
            Quota::parse("t", "2/s").unwrap(),
            Quota::parse("t", "3/h").unwrap(),
        ];
        let t0 = Instant::now();
        assert!(l.check("k", &q, t0).allowed);
        assert!(l.check("k", &q, t0).allowed);
        // per-second quota exhausted: refused, and the hourly one is not charged
        assert!(!l.check("k", &q, t0).allowed);
        let d = l.check("k", &q, t0 + Duration::from_secs(2));
        assert!(d.allowed);
        assert_eq!(d.states[1].remaining, 0);
        let d = l.check("k", &q, t0 + Duration::from_secs(4));
        assert!(!d.allowed, "the hourly quota now refuses");
        assert!(d.retry_after > Duration::from_secs(1000));
    }
}
