//! Where certificates are found: PEM files in the tree (`*.pem`, `*.crt`, `*.cer`),
//! `[[checklist.tls]]` files, `kubernetes.io/tls` Secrets and the Secrets Ingress `tls`
//! blocks name (whose hosts the certificate must cover).

use super::{check_der, pem_certificates, CertFacts, Rules};
use base64::Engine;
use keyward_infra::model::K8sObject;
use std::collections::BTreeMap;
use std::path::Path;

/// File extensions read as PEM certificates.
pub const EXTENSIONS: &[&str] = &["pem", "crt", "cer", "cert"];

/// Check every certificate in PEM file `path` (shown as `shown`).
pub fn check_pem_file(path: &Path, shown: &str, hosts: &[String], rules: Rules) -> Vec<CertFacts> {
    match std::fs::read(path) {
        Ok(bytes) => pem_certificates(&bytes)
            .iter()
            .map(|der| check_der(der, shown, hosts, rules))
            .collect(),
        Err(e) => vec![CertFacts {
            source: shown.to_string(),
            expected_hosts: hosts.to_vec(),
            problems: vec![super::problem("unparseable", format!("cannot read: {e}"))],
            ..CertFacts::default()
        }],
    }
}

/// PEM certificate files under `root` (honouring `.gitignore`), as (path, shown) pairs.
pub fn pem_files(root: &Path, exclude: &[String]) -> Vec<(std::path::PathBuf, String)> {
    let mut overrides = ignore::overrides::OverrideBuilder::new(root);
    for e in exclude {
        let _ = overrides.add(&format!("!{e}"));
    }
    let mut walk = ignore::WalkBuilder::new(root);
    walk.hidden(false)
        .require_git(false)
        .add_custom_ignore_filename(keyward_scan::source::IGNORE_FILE)
        .filter_entry(|e| e.file_name() != ".git");
    if let Ok(o) = overrides.build() {
        walk.overrides(o);
    }
    let mut out: Vec<_> = walk
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .filter(|e| {
            e.path()
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
        })
        .filter(|e| {
            std::fs::read(e.path())
                .map(|b| b.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"))
                .unwrap_or(false)
        })
        .map(|e| {
            let shown = e
                .path()
                .strip_prefix(root)
                .unwrap_or(e.path())
                .display()
                .to_string();
            (e.path().to_path_buf(), shown)
        })
        .collect();
    out.sort();
    out
}

/// Check the certificates of `kubernetes.io/tls` Secrets, with the hosts of every Ingress
/// `tls` block that names them. An Ingress naming a Secret that is not in the manifests
/// (cert-manager creates it in the cluster) is not a problem here.
pub fn check_k8s(objects: &[K8sObject], rules: Rules) -> Vec<CertFacts> {
    let mut hosts: BTreeMap<(Option<String>, String), Vec<String>> = BTreeMap::new();
    for o in objects.iter().filter(|o| o.kind == "Ingress") {
        for tls in o
            .node
            .path("spec.tls")
            .map(|n| n.items())
            .unwrap_or_default()
        {
            let Some(secret) = tls.get("secretName").and_then(|n| n.as_str()) else {
                continue;
            };
            let list = hosts
                .entry((o.namespace.clone(), secret.to_string()))
                .or_default();
            for h in tls.get("hosts").map(|n| n.items()).unwrap_or_default() {
                if let Some(h) = h.as_str() {
                    if !list.iter().any(|x| x == h) {
                        list.push(h.to_string());
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for o in objects.iter().filter(|o| o.kind == "Secret") {
        if o.node.get("type").and_then(|n| n.as_str()) != Some("kubernetes.io/tls") {
            continue;
        }
        let shown = format!(
            "Secret {}{} ({})",
            o.namespace
                .as_deref()
                .map(|n| format!("{n}/"))
                .unwrap_or_default(),
            o.name,
            o.path
        );
        let wanted = hosts
            .get(&(o.namespace.clone(), o.name.clone()))
            .cloned()
            .unwrap_or_default();
        let pem = o
            .node
            .path("data")
            .and_then(|d| d.get("tls.crt"))
            .and_then(|n| n.as_str())
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.split_whitespace().collect::<String>())
                    .ok()
            })
            .or_else(|| {
                o.node
                    .path("stringData")
                    .and_then(|d| d.get("tls.crt"))
                    .and_then(|n| n.as_str())
                    .map(|s| s.as_bytes().to_vec())
            });
        match pem.map(|p| pem_certificates(&p)) {
            Some(certs) if !certs.is_empty() => {
                // The first certificate is the leaf; the rest are the chain.
                out.push(check_der(&certs[0], &shown, &wanted, rules));
            }
            _ => out.push(CertFacts {
                source: shown,
                expected_hosts: wanted,
                problems: vec![super::problem(
                    "unparseable",
                    "tls.crt holds no PEM certificate".into(),
                )],
                ..CertFacts::default()
            }),
        }
    }
    out
}
