//! The sample project of the checklist end-to-end tests: a repository with a development
//! `.env`, a leaked live Stripe key in code, Kubernetes manifests (a Deployment without a
//! security context, an Ingress), lockfiles (lodash with a high advisory, a clean Python
//! requirement), a certificate expiring five days after the run's clock, attestations (one
//! current, one expired), SARIF reports, and a store with rotation history in which the
//! database password is overdue.
#![allow(dead_code)]

use super::rotation::{in_days, Env};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// The run's clock: 100 days from now, so the store's fresh secrets have a history.
pub const CLOCK_DAYS: u64 = 100;

pub const PACKAGE_LOCK: &str = r#"{
  "name": "web",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "web", "dependencies": { "lodash": "^4.17.20" } },
    "node_modules/lodash": { "version": "4.17.20" }
  }
}
"#;

/// A live Stripe key committed in code (the scanner's own test key).
pub const LEAKED: &str = "sk_live_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: registry.example.com/api:1.4.2
        env:
        - name: JWT_SECRET
          valueFrom:
            secretKeyRef: {name: api-secrets, key: JWT_SECRET}
";

const INGRESS: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  namespace: shop
spec:
  tls:
  - hosts: [api.example.com]
    secretName: api-tls
  rules:
  - host: api.example.com
";

pub const TRIVY: &str =
    r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Trivy"}},"results":[]}]}"#;
pub const BANDIT: &str = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Bandit"}},"results":[
 {"ruleId":"B608","level":"error","message":{"text":"SQL built from strings"},
  "locations":[{"physicalLocation":{"artifactLocation":{"uri":"app/db.py"},"region":{"startLine":7}}}]}]}]}"#;

/// `days` from now as YYYY-MM-DD.
pub fn day(days: i64) -> String {
    let t = if days >= 0 {
        SystemTime::now() + Duration::from_secs(days as u64 * 86_400)
    } else {
        SystemTime::now() - Duration::from_secs((-days) as u64 * 86_400)
    };
    keyward_rotate::clock::format(t)[..10].to_string()
}

pub fn policy() -> String {
    let clock = CLOCK_DAYS as i64;
    format!(
        r#"[deps]
max_db_age_days = 100000

[environments.development]
files = [".env"]

[environments.production]

[variables.JWT_SECRET]
kind = "jwt-secret"
required_in = ["production"]
description = "JWT signing secret (256-bit minimum)"
[variables.JWT_SECRET.rotation]
interval_days = 180

[variables.DATABASE_PASSWORD]
kind = "postgres-password"
required_in = ["production"]

[variables.STRIPE_SECRET_KEY]
kind = "stripe-secret-key"
required_in = ["production"]
description = "Stripe API secret key"

[[checklist.tls]]
path = "certs/api.pem"
hosts = ["api.example.com"]

[[checklist.attest]]
item = "pre.db-encryption-at-rest"
by = "Dana Ops"
date = "{recent}"
note = "RDS storage encryption, ticket OPS-12"

[[checklist.attest]]
item = "pre.backup-dr-tested"
by = "Sam Restore"
date = "{old}"
"#,
        recent = day(clock - 10),
        old = day(clock - 120),
    )
}

/// A CA-signed certificate for api.example.com expiring 5.5 days after the run's clock.
pub fn certificate() -> String {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "Sample CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut leaf = rcgen::CertificateParams::new(vec!["api.example.com".to_string()]).unwrap();
    let expiry = SystemTime::now() + Duration::from_secs(CLOCK_DAYS * 86_400 + 5 * 86_400 + 43_200);
    let unix = expiry
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    leaf.not_before = rcgen::date_time_ymd(2020, 1, 1);
    leaf.not_after = time::OffsetDateTime::from_unix_timestamp(unix).unwrap();
    leaf.signed_by(&key, &ca, &ca_key).unwrap().pem()
}

/// Build the project: files, then the store (JWT rotated once, all three secrets stored).
pub fn build() -> Env {
    let env = Env::new(&policy());
    let root = env.path();
    let write = |name: &str, body: &str| {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    // A git repository, as projects are: .gitignore decides what every source reads.
    let git = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(root)
        .status()
        .unwrap();
    assert!(git.success());
    write(".gitignore", ".env\n.keyward/\n*.sarif\n");
    write(
        ".env",
        "JWT_SECRET=K7gNU3sdo+OL0wNhqoVWhr3g6s1xYv72ol/pe/Unols=\nSTRIPE_SECRET_KEY=sk_test_51NbQ8rLx2Vz9Kt4Wm7Hp3Jc6Df1Gs0Ya\n",
    );
    write("src/settings.py", &format!("STRIPE_KEY = \"{LEAKED}\"\n"));
    write("k8s/deployment.yaml", DEPLOYMENT);
    write("k8s/ingress.yaml", INGRESS);
    write("web/package-lock.json", PACKAGE_LOCK);
    write("api/requirements.txt", "arrayfire==3.5.0\n");
    write("certs/api.pem", &certificate());
    write("trivy.sarif", TRIVY);
    write("bandit.sarif", BANDIT);
    env.ok(
        &[
            "secret",
            "set",
            "--generate",
            "jwt-secret",
            "production/JWT_SECRET",
        ],
        None,
    );
    env.ok(&["rotate", "production/JWT_SECRET"], None);
    env.ok(
        &[
            "secret",
            "set",
            "--generate",
            "postgres-password",
            "production/DATABASE_PASSWORD",
        ],
        None,
    );
    env.set(
        "production/STRIPE_SECRET_KEY",
        "sk_live_stored_in_the_store_only_0000",
        "stripe-secret-key",
    );
    env
}

/// The clock every checklist command runs at.
pub fn clock() -> String {
    in_days(CLOCK_DAYS)
}

/// The shared OSV database (see the deps tests).
pub fn osv() -> String {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/osv"));
    assert!(
        p.join("npm/all.zip").is_file(),
        "shared/osv is needed beside the checkout"
    );
    p.display().to_string()
}
