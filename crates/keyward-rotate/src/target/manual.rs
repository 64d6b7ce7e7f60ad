//! The `manual` target: nothing keyward can drive (Stripe keys). Rotation opens a task
//! listing the steps; `keyward rotate confirm ENV/NAME` reads the new key from stdin,
//! checks it ([`check_key`]) and promotes it.

use super::{StepCtx, Target};
use crate::error::{Result, RotateError, RotateErrorKind};
use keyward_core::policy::{Kind, StripeMode};
use keyward_core::SecretBytes;

/// Steps from the reference policy ("Stripe Key Rotation").
const STRIPE_STEPS: &[&str] = &[
    "Generate a new restricted API key in the Stripe Dashboard (Developers → API keys)",
    "Run `keyward rotate confirm ENV/NAME` and paste the new key on stdin",
    "Deploy services (e.g. kubectl rollout restart deployment/node-api)",
    "Delete the old key in the Stripe Dashboard after the grace period (24h)",
];

/// A manual target.
#[derive(Debug, Default)]
pub struct ManualTarget {
    /// Configured steps (empty: the defaults).
    pub steps: Vec<String>,
}

impl Target for ManualTarget {
    fn describe(&self) -> String {
        "manual".into()
    }
    fn set(&mut self, _: &StepCtx<'_>, _: &SecretBytes, _: Option<&SecretBytes>) -> Result<String> {
        Ok("applied by a person (confirmed)".into())
    }
    fn test(&mut self, _: &StepCtx<'_>, _: &SecretBytes) -> Result<String> {
        Ok("format and mode checked at confirm".into())
    }
    fn rollback(
        &mut self,
        _: &StepCtx<'_>,
        _: &SecretBytes,
        _: Option<&SecretBytes>,
    ) -> Result<String> {
        Ok("nothing to roll back".into())
    }
    fn finish(&mut self, _: &StepCtx<'_>, _: &SecretBytes) -> Result<String> {
        Ok("reminder: delete the old key at the provider (manual)".into())
    }
    fn manual_steps(&self) -> Option<Vec<String>> {
        Some(if self.steps.is_empty() {
            STRIPE_STEPS.iter().map(|s| s.to_string()).collect()
        } else {
            self.steps.clone()
        })
    }
}

/// Check a confirmed key's format for `kind` and, for Stripe keys, that its mode (live or
/// test) matches the environment's.
pub fn check_key(kind: Kind, mode: StripeMode, value: &SecretBytes) -> Result<()> {
    let bad = |m: String| Err(RotateError::new(RotateErrorKind::Invalid, m));
    let Ok(text) = std::str::from_utf8(value.expose()) else {
        return bad("the new key is not text".into());
    };
    if text.is_empty() || text.chars().any(char::is_whitespace) {
        return bad("the new key is empty or contains whitespace".into());
    }
    match kind {
        Kind::StripeSecretKey => {
            let live = ["sk_live_", "rk_live_"].iter().any(|p| text.starts_with(p));
            let test = ["sk_test_", "rk_test_"].iter().any(|p| text.starts_with(p));
            if !live && !test {
                return bad(
                    "a Stripe secret key starts with sk_live_, sk_test_, rk_live_ or rk_test_"
                        .into(),
                );
            }
            if text.len() < 20 {
                return bad("the Stripe key is too short".into());
            }
            match mode {
                StripeMode::Live if !live => {
                    return bad("this environment uses live Stripe keys, got a test key".into())
                }
                StripeMode::Test if !test => {
                    return bad("this environment uses test Stripe keys, got a live key".into())
                }
                _ => {}
            }
        }
        Kind::StripeWebhookSecret if !text.starts_with("whsec_") => {
            return bad("a Stripe webhook secret starts with whsec_".into());
        }
        _ => {
            let min = kind.defaults().min_length;
            if text.len() < min {
                return bad(format!("the new value is shorter than {min} characters"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_mode_must_match() {
        let live = SecretBytes::new("sk_live_51H8abcdefghijklmnopqrstuvwx");
        let test = SecretBytes::new("sk_test_51H8abcdefghijklmnopqrstuvwx");
        assert!(check_key(Kind::StripeSecretKey, StripeMode::Live, &live).is_ok());
        assert!(check_key(Kind::StripeSecretKey, StripeMode::Live, &test).is_err());
        assert!(check_key(Kind::StripeSecretKey, StripeMode::Test, &live).is_err());
        assert!(check_key(
            Kind::StripeSecretKey,
            StripeMode::Test,
            &SecretBytes::new("pk_test_x")
        )
        .is_err());
    }
}
