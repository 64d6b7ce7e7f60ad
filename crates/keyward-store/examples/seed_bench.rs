//! Fill a store for `scripts/bench-ui.sh`: N secrets (`production/S00001`…, a tenth of them
//! last rotated 200 days ago, so overdue) and M extra audit entries appended in batches of
//! 10,000 (one transaction each), shaped like the server's request records.
//!
//! `KEYWARD_MASTER_KEY=… cargo run --release -p keyward-store --example seed_bench -- STORE N M`

use keyward_core::SecretBytes;
use keyward_store::{Actor, AuditEvent, Expected, Key, Location, MetaPatch, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store, secrets, entries] = args.as_slice() else {
        return Err("usage: seed_bench STORE SECRETS AUDIT_ENTRIES".into());
    };
    let (secrets, entries): (usize, usize) = (secrets.parse()?, entries.parse()?);
    let key = Key::from_base64(&std::env::var("KEYWARD_MASTER_KEY")?)?;
    let mut s = Store::init(Location::parse(Some(store)).open(true)?, key)?;
    let started = std::time::Instant::now();
    for i in 0..secrets {
        let path = format!("production/S{i:05}").parse()?;
        let patch = MetaPatch {
            kind: Some("api-key".into()),
            last_rotated: (i % 10 == 0).then(|| Some("2026-05-01T00:00:00.000Z".to_string())),
            ..MetaPatch::default()
        };
        s.set(
            &path,
            &SecretBytes::new(format!("value-{i}")),
            Expected::Absent,
            &patch,
        )?;
    }
    eprintln!("{secrets} secrets in {:.1?}", started.elapsed());
    let started = std::time::Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..entries {
        let actor = Actor {
            name: format!("token:app-{}", i % 50),
            remote: Some("10.0.0.1".into()),
        };
        let outcome = if i % 1000 == 0 { "invalid_token" } else { "ok" };
        batch.push((
            actor,
            AuditEvent {
                action: "api.read".into(),
                path: Some(format!("secret/data/production/S{:05}", i % secrets.max(1))),
                version: None,
                outcome: outcome.into(),
                detail: Some(format!("status=200 request_id=bench-{i}")),
                value_hmac: None,
            },
        ));
        if batch.len() == 10_000 || i + 1 == entries {
            s.append_audit_batch(&batch)?;
            batch.clear();
        }
    }
    eprintln!("{entries} audit entries in {:.1?}", started.elapsed());
    Ok(())
}
