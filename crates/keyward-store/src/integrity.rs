//! Integrity of what the store serves: a MAC over every secret's *head* and over the audit
//! chain's head and checkpoints, so that someone with write access to the database but
//! without the master key cannot change what keyward serves or hide the end of its log.
//!
//! - **Secret head** ([`secret_head`]): the path, all metadata (kind, owner, interval,
//!   last rotation, the rotation/incident `state` JSON, deleted flag, current and latest
//!   version, revision), the audit entry that recorded the last change (`head_seq`) and,
//!   for every version, its number, stage, creation time and author. MACed with
//!   HMAC-SHA256 under a key derived from the master key (HKDF, `keyward/v1/secret-head-mac`
//!   and the store id), so it is independent of the data keys and of the audit key, and
//!   `store rekey` re-MACs every head. Checked on every read that decides what to serve
//!   (get, export, run, list, metadata, history, rotation); a mismatch is
//!   [`ErrorKind::Integrity`](crate::ErrorKind::Integrity). Values themselves are
//!   authenticated by their AEAD (path and version bound), so the head need not cover them.
//! - **Audit head and checkpoints** ([`audit_head_mac`], [`checkpoint_mac`]): HMACs of a
//!   `(seq, hash)` pair under a key derived from the store's audit key, with different
//!   domains: every appended entry carries a checkpoint, the head row carries the head
//!   MAC, and every append checks the head MAC first, so a truncated log with a rewritten
//!   head is refused instead of being extended (and blessed). A checkpoint cannot serve as
//!   a head MAC, so truncating to an earlier entry does not produce a valid head.
//!
//! ## Canonical encoding ([`Canon`])
//!
//! A MAC covers a sequence of named fields, each `u32 name length ‖ name ‖ type byte ‖
//! u64 value length ‖ value` (big-endian; type `s` text, `n` number as 8 bytes, `r` a
//! nested record). The first field is the domain. **Absent optional fields are not
//! encoded**, so a new optional field (KV custom metadata, per-version deletion times, a
//! token's policies…) leaves every existing MAC valid until a row actually uses it; give
//! new fields new names, never reuse one.

use crate::backend::SecretRow;
use crate::crypto::MacKey;
use crate::error::{ErrorKind, StoreError};
use crate::model::VersionInfo;

/// Domain of a secret head's MAC.
pub const SECRET_HEAD: &str = "keyward/v1/secret-head";
/// Domain of the audit head's MAC.
pub const AUDIT_HEAD: &str = "keyward/v1/audit-head";
/// Domain of an audit checkpoint's MAC.
pub const AUDIT_CHECKPOINT: &str = "keyward/v1/audit-checkpoint";

/// A canonical, extensible encoding of named fields for MACs (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct Canon {
    buf: Vec<u8>,
}

impl Canon {
    /// A new encoding whose first field is `domain` (what the MAC is about, versioned).
    pub fn new(domain: &str) -> Canon {
        let mut c = Canon {
            buf: Vec::with_capacity(512),
        };
        c.field("domain", b's', domain.as_bytes());
        c
    }

    fn field(&mut self, name: &str, kind: u8, value: &[u8]) -> &mut Self {
        self.buf
            .extend_from_slice(&(name.len() as u32).to_be_bytes());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(kind);
        self.buf
            .extend_from_slice(&(value.len() as u64).to_be_bytes());
        self.buf.extend_from_slice(value);
        self
    }

    /// A text (or byte string) field.
    pub fn text(&mut self, name: &str, value: impl AsRef<[u8]>) -> &mut Self {
        self.field(name, b's', value.as_ref())
    }

    /// A number field.
    pub fn num(&mut self, name: &str, value: u64) -> &mut Self {
        self.field(name, b'n', &value.to_be_bytes())
    }

    /// An optional text field: not encoded at all when `None`.
    pub fn opt_text(&mut self, name: &str, value: Option<impl AsRef<[u8]>>) -> &mut Self {
        match value {
            Some(v) => self.text(name, v),
            None => self,
        }
    }

    /// An optional number field: not encoded at all when `None`.
    pub fn opt_num(&mut self, name: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(v) => self.num(name, v),
            None => self,
        }
    }

    /// A nested record (e.g. one version of a secret).
    pub fn record(&mut self, name: &str, record: &Canon) -> &mut Self {
        self.field(name, b'r', &record.buf)
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// HMAC-SHA256 of the encoding under `key`, hex.
    pub fn mac_hex(&self, key: &MacKey) -> String {
        hex::encode(key.mac(&self.buf))
    }

    /// Whether `mac_hex` (hex) is this encoding's MAC under `key` (constant-time compare).
    pub fn mac_matches(&self, key: &MacKey, mac_hex: &str) -> bool {
        let mut tag = [0u8; 32];
        hex::decode_to_slice(mac_hex, &mut tag).is_ok() && key.matches(&self.buf, &tag)
    }
}

/// The canonical head of a secret: `row` and its `versions` (any order).
pub fn secret_head<'a>(
    row: &SecretRow,
    versions: impl IntoIterator<Item = &'a VersionInfo>,
) -> Canon {
    let m = &row.meta;
    let mut c = Canon::new(SECRET_HEAD);
    let path = [m.path.env(), "/", m.path.name()].concat();
    c.text("path", path)
        .text("kind", &m.kind)
        .text("description", &m.description)
        .text("owner", &m.owner)
        .text("created_at", &m.created_at)
        .text("updated_at", &m.updated_at)
        .opt_text("last_rotated", m.last_rotated.as_deref())
        .opt_num(
            "rotation_interval_days",
            m.rotation_interval_days.map(u64::from),
        )
        .text("state", &m.state)
        .opt_text("deleted_at", m.deleted_at.as_deref())
        .num("current_version", m.current_version)
        .num("latest_version", m.latest_version)
        .num("revision", m.revision)
        .num("head_seq", row.head_seq);
    let mut sorted: Vec<&VersionInfo> = versions.into_iter().collect();
    sorted.sort_by_key(|v| v.version);
    let mut r = Canon::default();
    for v in sorted {
        r.buf.clear();
        r.field("domain", b's', b"version");
        r.num("version", v.version)
            .text("stage", v.stage.as_str())
            .text("created_at", &v.created_at)
            .text("created_by", &v.created_by);
        c.record("version", &r);
    }
    c
}

/// An integrity error with a one-line message.
pub(crate) fn integrity(message: impl Into<String>) -> StoreError {
    StoreError::new(ErrorKind::Integrity, message)
}

/// Check `row`'s head MAC against its `versions` under `key`.
pub(crate) fn check_head<'a>(
    key: &MacKey,
    row: &SecretRow,
    versions: impl IntoIterator<Item = &'a VersionInfo>,
) -> Result<(), StoreError> {
    let path = &row.meta.path;
    let ok = row
        .head_mac
        .as_deref()
        .is_some_and(|mac| secret_head(row, versions).mac_matches(key, mac));
    if ok {
        Ok(())
    } else {
        Err(integrity(format!(
            "integrity check failed: {path}'s stored state (versions, stages, metadata or rotation state) does not match its MAC — changed outside keyward; nothing was served (run `keyward audit verify`)"
        )))
    }
}

/// The canonical `(seq, hash)` of an audit head or checkpoint.
fn chain_point(domain: &str, seq: u64, hash: &str) -> Canon {
    let mut c = Canon::new(domain);
    c.num("seq", seq).text("hash", hash);
    c
}

/// The audit head's MAC (hex).
pub fn audit_head_mac(key: &MacKey, seq: u64, hash: &str) -> String {
    chain_point(AUDIT_HEAD, seq, hash).mac_hex(key)
}

/// Whether `mac` is the audit head MAC of `(seq, hash)`.
pub fn audit_head_matches(key: &MacKey, seq: u64, hash: &str, mac: &str) -> bool {
    chain_point(AUDIT_HEAD, seq, hash).mac_matches(key, mac)
}

/// An audit checkpoint's MAC (hex).
pub fn checkpoint_mac(key: &MacKey, seq: u64, hash: &str) -> String {
    chain_point(AUDIT_CHECKPOINT, seq, hash).mac_hex(key)
}

/// Whether `mac` is the checkpoint MAC of `(seq, hash)`.
pub fn checkpoint_matches(key: &MacKey, seq: u64, hash: &str, mac: &str) -> bool {
    chain_point(AUDIT_CHECKPOINT, seq, hash).mac_matches(key, mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_optional_fields_leave_the_encoding_unchanged() {
        let mut a = Canon::new("d");
        a.text("x", "1");
        let mut b = Canon::new("d");
        b.text("x", "1")
            .opt_text("new", None::<&str>)
            .opt_num("n", None);
        assert_eq!(a.as_bytes(), b.as_bytes());
        b.opt_text("new", Some(""));
        assert_ne!(a.as_bytes(), b.as_bytes(), "present-but-empty is encoded");
    }

    #[test]
    fn fields_cannot_run_into_each_other() {
        let mut a = Canon::new("d");
        a.text("a", "bc").text("d", "");
        let mut b = Canon::new("d");
        b.text("a", "b").text("cd", "");
        assert_ne!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn head_and_checkpoint_macs_are_not_interchangeable() {
        let k = crate::crypto::Key::random().unwrap().mac_key();
        let cp = checkpoint_mac(&k, 7, "abc");
        assert!(checkpoint_matches(&k, 7, "abc", &cp));
        assert!(!audit_head_matches(&k, 7, "abc", &cp));
        assert!(!checkpoint_matches(&k, 8, "abc", &cp));
        assert!(!checkpoint_matches(&k, 7, "abc", "not hex"));
    }
}
