//! PostgreSQL over TLS against the real server: `sslmode` and `sslrootcert` as libpq
//! honours them. Needs `KEYWARD_TEST_POSTGRES_URL` and a server with `ssl = on` whose
//! certificate file (`SHOW ssl_cert_file`) is readable here and names `localhost` (Debian's
//! snakeoil certificate does); otherwise the TLS part is skipped, visibly.

mod support;

use keyward_store::backend::pg_tls::{self, PgConnect, Verify};
use keyward_store::{ErrorKind, Key, Location, Store};

/// The test URL, the server's certificate file, and the URL with `localhost` as host.
fn tls_server() -> Option<(String, String)> {
    let url = keyward_store::testing::service_url("KEYWARD_TEST_POSTGRES_URL")?;
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let ssl: String = c.query_one("SHOW ssl", &[]).unwrap().get(0);
    let cert: String = c.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    let pem = std::fs::read_to_string(&cert).unwrap_or_default();
    if ssl != "on" || !pem.contains("BEGIN CERTIFICATE") {
        keyward_store::testing::skip(
            "POSTGRES_SSL",
            "the test PostgreSQL has no TLS, or its certificate is not readable here",
        );
        return None;
    }
    Some((url, cert))
}

fn with_params(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

/// Whether the session of `url` is encrypted, per the server.
fn encrypted(url: &str) -> bool {
    let mut c = pg_tls::connect(url).unwrap();
    c.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .unwrap()
    .get(0)
}

#[test]
fn sslmode_decides_whether_the_session_is_encrypted() {
    let Some((url, cert)) = tls_server() else {
        return;
    };
    let url = url.replace("sslmode=disable", "").replace("?&", "?");
    assert!(!encrypted(&with_params(&url, "sslmode=disable")));
    assert!(encrypted(&with_params(&url, "sslmode=prefer")));
    assert!(encrypted(&url), "prefer is the default, as with libpq");
    assert!(encrypted(&with_params(&url, "sslmode=require")));
    // The chain to the server's own certificate, any host name (we connect by IP).
    let ca = with_params(&url, &format!("sslmode=verify-ca&sslrootcert={cert}"));
    assert_eq!(PgConnect::parse(&ca).unwrap().verify(), Verify::Chain);
    assert!(encrypted(&ca));
    // Chain and host name: the certificate names `localhost`.
    let local = url.replace("127.0.0.1", "localhost");
    assert!(
        local.contains("@localhost"),
        "test URL must use 127.0.0.1: {url}"
    );
    assert!(encrypted(&with_params(
        &local,
        &format!("sslmode=verify-full&sslrootcert={cert}")
    )));
}

#[test]
fn verify_full_refuses_a_wrong_host_name_in_one_line() {
    let Some((url, cert)) = tls_server() else {
        return;
    };
    // By IP, the certificate (for `localhost`) does not match.
    let wrong = with_params(&url, &format!("sslmode=verify-full&sslrootcert={cert}"));
    let err = pg_tls::connect(&wrong).err().expect("refused").to_string();
    assert!(err.contains("not valid for name"), "{err}");
    assert!(!err.contains('\n'), "{err}");
    // A store on that URL is refused the same way, before anything is written.
    let e = Location::parse(Some(&wrong))
        .open(true)
        .err()
        .expect("refused");
    assert_eq!(e.kind(), ErrorKind::Backend);
    let mut chain = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(chain.contains("not valid for name"), "{chain}");
    assert!(!chain.contains('\n'), "{chain}");
}

#[test]
fn verify_full_refuses_an_untrusted_certificate() {
    let Some((url, _)) = tls_server() else { return };
    let local = url.replace("127.0.0.1", "localhost");
    let err = pg_tls::connect(&with_params(
        &local,
        "sslmode=verify-full&sslrootcert=system",
    ))
    .err()
    .expect("refused")
    .to_string();
    assert!(
        err.contains("UnknownIssuer") || err.contains("unknown issuer"),
        "{err}"
    );
}

#[test]
fn a_store_works_over_verify_full() {
    let Some((_, cert)) = tls_server() else {
        return;
    };
    let Some(db) = support::postgres() else {
        return;
    };
    let spec = db.spec.replace("127.0.0.1", "localhost");
    let spec = with_params(&spec, &format!("sslmode=verify-full&sslrootcert={cert}"));
    let location = Location::parse(Some(&spec));
    let kek = Key::random().unwrap();
    let b64 = kek.to_base64();
    let mut store = Store::init(location.open(true).unwrap(), kek).unwrap();
    let p = "production/TLS_CHECK".parse().unwrap();
    store
        .set(
            &p,
            &keyward_core::SecretBytes::new("over tls"),
            keyward_store::Expected::Absent,
            &keyward_store::MetaPatch::default(),
        )
        .unwrap();
    drop(store);
    let mut again = Store::open(
        location.open(false).unwrap(),
        Key::from_base64(&b64).unwrap(),
    )
    .unwrap();
    assert_eq!(again.get(&p).unwrap().value.expose(), b"over tls");
    assert!(!format!("{location:?}").contains("sslrootcert=system"));
}
