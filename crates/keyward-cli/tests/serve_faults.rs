//! `keyward serve` under faults, on the built binary: PostgreSQL unreachable while serving
//! (through a TCP proxy the test cuts, never the shared server), an audit write that fails,
//! `kill -9` during a burst of writes, and two replicas sharing a rate limit through Redis.

#[path = "support/server.rs"]
mod server;

use serde_json::json;
use server::{free_port, ok, serve};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn pg() -> Option<(String, postgres::Client)> {
    let url = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL")?;
    let c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    Some((url, c))
}

fn token(dir: &std::path::Path, store: &str) -> String {
    let out = ok(
        dir,
        store,
        &["token", "create", "--policy", "root", "-f", "json"],
        "",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["token"].as_str().unwrap().to_string()
}

/// A TCP proxy to `target` that the test can cut (refusing and dropping connections).
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    fn start(target: &'static str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (u, o) = (up.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if !u.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(backend) = TcpStream::connect(target) else {
                    continue;
                };
                let mut list = o.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(backend.try_clone().unwrap());
                drop(list);
                pipe(client.try_clone().unwrap(), backend.try_clone().unwrap());
                pipe(backend, client);
            }
        });
        Proxy { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
fn postgres_unreachable_while_serving_gives_503_then_recovers() {
    let Some((url, mut c)) = pg() else { return };
    let schema = format!("kw_serve_proxy_{}", std::process::id());
    let direct = format!("{url}?schema={schema}");
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &direct, &["store", "init"], "");
    let root = token(dir.path(), &direct);
    let proxy = Proxy::start("127.0.0.1:5432");
    let via = format!(
        "postgres://postgres@127.0.0.1:{}/test?schema={schema}&connect_timeout=3",
        proxy.port
    );
    let s = serve(dir.path(), &via, &["--read-connections", "2"], &[]);
    let path = "/v1/secret/data/production/DB_PASSWORD";
    let r = s.req(
        "POST",
        path,
        Some(&root),
        Some(&json!({"data": {"value": "before"}})),
    );
    assert_eq!(r.status, 200, "{r:?}");
    proxy.cut();
    for _ in 0..3 {
        let r = s.req("GET", path, Some(&root), None);
        assert!(
            r.status == 503,
            "expected 503 while PostgreSQL is away: {r:?}"
        );
        assert!(r.json["errors"][0].as_str().is_some(), "{r:?}");
        let r = s.req(
            "POST",
            path,
            Some(&root),
            Some(&json!({"data": {"value": "lost"}})),
        );
        assert_eq!(r.status, 503, "{r:?}");
    }
    let r = s.req("GET", "/v1/sys/health", None, None);
    assert_eq!(r.status, 503, "{r:?}");
    proxy.restore();
    let mut last = None;
    for _ in 0..50 {
        let r = s.req("GET", path, Some(&root), None);
        if r.status == 200 {
            last = Some(r);
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let r = last.expect("the server recovers when PostgreSQL is back");
    assert_eq!(r.json["data"]["data"], json!({"value": "before"}));
    assert_eq!(
        r.json["data"]["metadata"]["version"], 1,
        "nothing half-written"
    );
    drop(s);
    ok(dir.path(), &direct, &["audit", "verify"], "");
    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
}

#[test]
fn a_failing_audit_write_refuses_the_request() {
    let Some((url, mut c)) = pg() else { return };
    let schema = format!("kw_serve_auditfail_{}", std::process::id());
    let store = format!("{url}?schema={schema}");
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &store, &["store", "init"], "");
    let root = token(dir.path(), &store);
    let s = serve(dir.path(), &store, &[], &[]);
    let path = "/v1/secret/data/production/API_KEY";
    let r = s.req(
        "POST",
        path,
        Some(&root),
        Some(&json!({"data": {"value": "v1"}})),
    );
    assert_eq!(r.status, 200, "{r:?}");
    c.batch_execute(&format!(
        "CREATE FUNCTION {schema}.no_audit() RETURNS trigger LANGUAGE plpgsql AS
           $$ BEGIN IF NEW.action LIKE 'api.%' THEN RAISE EXCEPTION 'audit disk full'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER no_audit BEFORE INSERT ON {schema}.audit
           FOR EACH ROW EXECUTE FUNCTION {schema}.no_audit();"
    ))
    .unwrap();
    let r = s.req("GET", path, Some(&root), None);
    assert_eq!(r.status, 503, "{r:?}");
    assert!(
        r.json["data"].is_null(),
        "the value left without its audit record: {r:?}"
    );
    assert!(
        r.json["errors"][0].as_str().unwrap().contains("audit"),
        "{r:?}"
    );
    c.batch_execute(&format!("DROP TRIGGER no_audit ON {schema}.audit"))
        .unwrap();
    let r = s.req("GET", path, Some(&root), None);
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json["data"]["data"], json!({"value": "v1"}));
    drop(s);
    ok(dir.path(), &store, &["audit", "verify"], "");
    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
}

#[test]
fn kill_9_during_writes_keeps_every_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db").display().to_string();
    ok(dir.path(), &store, &["store", "init"], "");
    let root = token(dir.path(), &store);
    let mut s = serve(dir.path(), &store, &[], &[]);
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for t in 0..4 {
        let (addr, root, acked, stop) = (s.addr.clone(), root.clone(), acked.clone(), stop.clone());
        writers.push(std::thread::spawn(move || {
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let (name, value) = (format!("K_{t}_{i}"), format!("v-{t}-{i}"));
                let body = json!({"data": {"value": value}});
                let p = format!("/v1/secret/data/production/{name}");
                match server::request(&addr, "POST", &p, Some(&root), Some(&body)) {
                    Some(r) if r.status == 200 => acked.lock().unwrap().push((name, value)),
                    Some(_) => {}
                    None => break,
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    s.child.kill().unwrap(); // SIGKILL
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 4, "only {} writes acknowledged", acked.len());
    drop(s);
    ok(dir.path(), &store, &["audit", "verify"], "");
    let s = serve(dir.path(), &store, &[], &[]);
    for (name, value) in &acked {
        let r = s.req(
            "GET",
            &format!("/v1/secret/data/production/{name}"),
            Some(&root),
            None,
        );
        assert_eq!(r.status, 200, "{name} was acknowledged but is gone: {r:?}");
        assert_eq!(r.json["data"]["data"]["value"], json!(value));
    }
}

#[test]
fn two_servers_on_one_postgres_store_share_a_rate_limit_through_redis() {
    let Some((url, mut c)) = pg() else { return };
    let Some(redis) = keyward_store::testing::service_url("KEYWARD_TEST_REDIS_URL") else {
        return;
    };
    let schema = format!("kw_serve_rl_{}", std::process::id());
    let store = format!("{url}?schema={schema}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("keyward.toml"),
        format!(
            "[server.limits]\nper_token = [\"3/m\"]\nredis_url_env = \"KEYWARD_REDIS_URL\"\nredis_key_prefix = \"kwtest:{}:{}:\"\n",
            std::process::id(),
            free_port()
        ),
    )
    .unwrap();
    ok(dir.path(), &store, &["store", "init"], "");
    let root = token(dir.path(), &store);
    let env = [("KEYWARD_REDIS_URL", redis.as_str())];
    let a = serve(dir.path(), &store, &[], &env);
    let b = serve(dir.path(), &store, &[], &env);
    let path = "/v1/auth/token/lookup-self";
    let statuses: Vec<u16> = (0..4)
        .map(|i| {
            let s = if i % 2 == 0 { &a } else { &b };
            s.req("GET", path, Some(&root), None).status
        })
        .collect();
    assert_eq!(
        statuses,
        vec![200, 200, 200, 429],
        "shared 3/min across replicas"
    );
    let r = a.req("GET", path, Some(&root), None);
    assert_eq!(r.status, 429);
    let h = r.headers.to_ascii_lowercase();
    assert!(h.contains("retry-after:"), "{}", r.headers);
    drop((a, b));
    let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
}
