//! TLS certificates ("installed and valid", "rotate before expiration"): each certificate
//! found in PEM files, `kubernetes.io/tls` Secrets, Ingress `tls` blocks or live endpoints
//! is parsed with `x509-parser` and checked for expiry, the renewal window, host names,
//! self-signing (in production) and weak keys or signatures.

pub mod endpoint;
pub mod find;

use serde::Serialize;
use x509_parser::prelude::*;
use x509_parser::public_key::PublicKey;

/// A problem with a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertProblem {
    /// `expired`, `expiring`, `not-yet-valid`, `wrong-host`, `self-signed`, `weak-key`,
    /// `weak-signature`, `unparseable`.
    pub code: String,
    /// One line for people.
    pub message: String,
}

/// One certificate and what is wrong with it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CertFacts {
    /// Where it came from: `certs/api.pem`, `Secret shop/api-tls (k8s/tls.yaml)`,
    /// `endpoint api.example.com:443`.
    pub source: String,
    /// Subject (RFC 4514 form).
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// DNS names (subject alternative names, else the common name).
    pub dns_names: Vec<String>,
    /// Host names it must cover (Ingress hosts, `[[checklist.tls]] hosts`, the endpoint).
    pub expected_hosts: Vec<String>,
    /// Not after (RFC 3339 UTC).
    pub not_after: String,
    /// Whole days until expiry (negative when expired).
    pub days_left: i64,
    /// `RSA 2048`, `EC 256`.
    pub key: String,
    /// Problems found; empty when the certificate is fine.
    pub problems: Vec<CertProblem>,
}

/// How certificates are judged.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// Now, as seconds since the Unix epoch.
    pub now: i64,
    /// Certificates expiring within this many days fail.
    pub renew_days: u32,
    /// Self-signed certificates are a problem (production).
    pub production: bool,
}

/// Minimum RSA modulus size in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Minimum EC key size in bits.
pub const MIN_EC_BITS: usize = 256;

/// Signature algorithms that are broken: MD5/SHA-1 with RSA, ECDSA or DSA.
const WEAK_SIGNATURES: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10040.4.3", "dsa-with-sha1"),
];

pub(crate) fn problem(code: &str, message: String) -> CertProblem {
    CertProblem {
        code: code.into(),
        message,
    }
}

/// Check one DER certificate from `source` against `rules`; `hosts` are the names it must
/// cover. A certificate that does not parse is reported, not an error.
pub fn check_der(der: &[u8], source: &str, hosts: &[String], rules: Rules) -> CertFacts {
    let mut facts = CertFacts {
        source: source.to_string(),
        expected_hosts: hosts.to_vec(),
        ..CertFacts::default()
    };
    let cert = match X509Certificate::from_der(der) {
        Ok((_, c)) => c,
        Err(e) => {
            facts.problems.push(problem(
                "unparseable",
                format!("not an X.509 certificate: {e}"),
            ));
            return facts;
        }
    };
    facts.subject = cert.subject().to_string();
    facts.issuer = cert.issuer().to_string();
    facts.dns_names = dns_names(&cert);
    let not_after = cert.validity().not_after.timestamp();
    let not_before = cert.validity().not_before.timestamp();
    facts.not_after = keyward_store::clock::format(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(not_after.max(0) as u64),
    );
    facts.days_left = (not_after - rules.now).div_euclid(86_400);
    if not_after <= rules.now {
        facts.problems.push(problem(
            "expired",
            format!("expired on {}", &facts.not_after[..10]),
        ));
    } else if facts.days_left < i64::from(rules.renew_days) {
        facts.problems.push(problem(
            "expiring",
            format!(
                "expires in {} day(s) ({}), inside the {}-day renewal window",
                facts.days_left,
                &facts.not_after[..10],
                rules.renew_days
            ),
        ));
    }
    if not_before > rules.now {
        facts
            .problems
            .push(problem("not-yet-valid", "not valid yet".into()));
    }
    for host in hosts {
        if !facts.dns_names.iter().any(|n| host_matches(n, host)) {
            facts.problems.push(problem(
                "wrong-host",
                format!(
                    "not valid for {host} (covers: {})",
                    if facts.dns_names.is_empty() {
                        "no DNS names".to_string()
                    } else {
                        facts.dns_names.join(", ")
                    }
                ),
            ));
        }
    }
    if rules.production && cert.subject().as_raw() == cert.issuer().as_raw() {
        facts.problems.push(problem(
            "self-signed",
            "self-signed (issuer is the subject): browsers and clients will not trust it".into(),
        ));
    }
    let (key, weak) = key_strength(&cert);
    facts.key = key;
    if let Some(w) = weak {
        facts.problems.push(problem("weak-key", w));
    }
    let sig = cert.signature_algorithm.algorithm.to_id_string();
    if let Some((_, name)) = WEAK_SIGNATURES.iter().find(|(oid, _)| *oid == sig) {
        facts
            .problems
            .push(problem("weak-signature", format!("signed with {name}")));
    }
    facts
}

fn dns_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut names: Vec<String> = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                GeneralName::DNSName(d) => Some(d.to_ascii_lowercase()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if names.is_empty() {
        names = cert
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .map(str::to_ascii_lowercase)
            .collect();
    }
    names
}

/// Whether certificate name `pattern` covers `host` (a `*.` wildcard covers exactly one
/// leftmost label, as RFC 6125 says).
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let (p, h) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match p.strip_prefix("*.") {
        Some(rest) => h
            .split_once('.')
            .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
        None => p == h,
    }
}

/// `RSA 2048` and why it is weak, if it is.
fn key_strength(cert: &X509Certificate<'_>) -> (String, Option<String>) {
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let m = rsa.modulus;
            let m = &m[m.iter().take_while(|b| **b == 0).count()..];
            let bits = m
                .first()
                .map_or(0, |b| m.len() * 8 - b.leading_zeros() as usize);
            let weak = (bits < MIN_RSA_BITS)
                .then(|| format!("RSA key of {bits} bits (at least {MIN_RSA_BITS} needed)"));
            (format!("RSA {bits}"), weak)
        }
        Ok(PublicKey::EC(ec)) => {
            let bits = ec.key_size();
            let weak = (bits < MIN_EC_BITS)
                .then(|| format!("EC key of {bits} bits (at least {MIN_EC_BITS} needed)"));
            (format!("EC {bits}"), weak)
        }
        Ok(PublicKey::DSA(_)) => ("DSA".into(), Some("DSA keys are obsolete".into())),
        Ok(_) | Err(_) => {
            let oid = cert.public_key().algorithm.algorithm.to_id_string();
            // Ed25519 / Ed448 are strong; anything else unknown is reported as such.
            match oid.as_str() {
                "1.3.101.112" => ("Ed25519".into(), None),
                "1.3.101.113" => ("Ed448".into(), None),
                _ => (format!("unknown ({oid})"), None),
            }
        }
    }
}

/// Every certificate in PEM `text` (other blocks, such as keys, are skipped).
pub fn pem_certificates(text: &[u8]) -> Vec<Vec<u8>> {
    Pem::iter_from_buffer(text)
        .filter_map(Result::ok)
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(host_matches("*.example.com", "api.example.com"));
        assert!(host_matches("API.example.com", "api.EXAMPLE.com"));
        assert!(!host_matches("*.example.com", "a.b.example.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("api.example.com", "www.example.com"));
    }

    #[test]
    fn garbage_is_reported_not_fatal() {
        let rules = Rules {
            now: 0,
            renew_days: 30,
            production: true,
        };
        let f = check_der(b"not der", "x.pem", &[], rules);
        assert_eq!(f.problems[0].code, "unparseable");
        assert!(pem_certificates(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_empty());
    }
}
