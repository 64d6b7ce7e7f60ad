//! [`Policies`]: where a policy name resolves — `root`, the built-in `default`, the
//! `[server.policies]` of keyward.toml (read-only), then the [`DocumentRepo`] — and a short
//! cache of parsed ACLs so a request does not reparse its token's policies.

use super::{parse_policy, Acl, Policy};
use crate::backend::{BackendError, DocKind, DocumentRepo, OpContext};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Vault's `default` policy, the part that applies to keyward.
pub const DEFAULT_POLICY: &str = r#"# Every token gets this unless created with no_default_policy.
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "sys/internal/ui/mounts" { capabilities = ["read"] }
"#;

/// How long a parsed ACL is reused (other replicas' policy changes show up within it).
const ACL_TTL: Duration = Duration::from_secs(5);

/// Parsed ACLs by sorted policy names, with when they were built.
type AclCache = HashMap<Vec<String>, (Instant, Arc<Acl>)>;

/// Policy resolution and caching.
pub struct Policies {
    repo: Arc<dyn DocumentRepo>,
    configured: BTreeMap<String, Policy>,
    cache: Mutex<AclCache>,
}

impl Policies {
    /// Over `repo`, with the policies of keyward.toml.
    pub fn new(repo: Arc<dyn DocumentRepo>, configured: BTreeMap<String, Policy>) -> Policies {
        Policies {
            repo,
            configured,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `name` comes from keyward.toml (and so cannot be changed through the API).
    pub fn is_configured(&self, name: &str) -> bool {
        self.configured.contains_key(name)
    }

    /// A policy by name.
    pub fn get(&self, name: &str) -> Result<Option<Policy>, BackendError> {
        if let Some(p) = self.configured.get(name) {
            return Ok(Some(p.clone()));
        }
        match (self.repo.get(DocKind::Policy, name)?, name) {
            (Some(text), _) => parse_policy(name, &text)
                .map(Some)
                .map_err(|e| BackendError::Invalid(e.to_string())),
            (None, "default") => Ok(Some(
                parse_policy("default", DEFAULT_POLICY).expect("built-in"),
            )),
            (None, "root") => Ok(Some(Policy {
                name: "root".into(),
                raw: String::new(),
                rules: vec![],
            })),
            (None, _) => Ok(None),
        }
    }

    /// Every policy name, sorted.
    pub fn names(&self) -> Result<Vec<String>, BackendError> {
        let mut names = self.repo.list(DocKind::Policy)?;
        names.extend(self.configured.keys().cloned());
        names.extend(["default".to_string(), "root".to_string()]);
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// Store a policy written through the API (already parsed and checked).
    pub fn put(&self, policy: &Policy, op: &OpContext) -> Result<(), BackendError> {
        self.repo
            .put(DocKind::Policy, &policy.name, &policy.raw, op)?;
        self.invalidate();
        Ok(())
    }

    /// Delete a policy written through the API.
    pub fn delete(&self, name: &str, op: &OpContext) -> Result<bool, BackendError> {
        let gone = self.repo.delete(DocKind::Policy, name, op)?;
        self.invalidate();
        Ok(gone)
    }

    fn invalidate(&self) {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// The ACL of a token holding `names`. Unknown names grant nothing.
    pub fn acl(&self, names: &[String]) -> Result<Arc<Acl>, BackendError> {
        let mut key = names.to_vec();
        key.sort();
        if let Some((at, acl)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            if at.elapsed() < ACL_TTL {
                return Ok(acl.clone());
            }
        }
        let root = key.iter().any(|n| n == "root");
        let mut policies = Vec::new();
        for n in &key {
            if let Some(p) = self.get(n)? {
                policies.push(p);
            }
        }
        let acl = Arc::new(Acl::new(&policies, root));
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (Instant::now(), acl.clone()));
        Ok(acl)
    }
}
