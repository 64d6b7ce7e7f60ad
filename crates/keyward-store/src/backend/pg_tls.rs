//! PostgreSQL connections with libpq's TLS parameters (`sslmode`, `sslrootcert`) honoured,
//! over rustls (`ring`; no OpenSSL). Used by the store and by the rotation targets' admin
//! connections, so every database connection keyward makes follows the same rules.
//!
//! | `sslmode` | TLS | certificate checked |
//! | --- | --- | --- |
//! | `disable` | never | — |
//! | `prefer` (default, as libpq) | when the server offers it, else plain | no |
//! | `require` | always (refuses a server without TLS) | no — unless `sslrootcert` is given, then as `verify-ca` (libpq) |
//! | `verify-ca` | always | chain to `sslrootcert`, any host name |
//! | `verify-full` | always | chain to `sslrootcert` and the host name |
//!
//! `sslrootcert` is a PEM file of CA certificates, or `system` for the Mozilla root set
//! compiled into keyward (`webpki-roots`); without it `~/.postgresql/root.crt` is used
//! when it exists, as libpq does, and `verify-ca`/`verify-full` without any root
//! certificate is refused before connecting. Client certificates (`sslcert`, `sslkey`) are
//! not supported and refused with a one-line cause rather than ignored.

use crate::error::{ErrorKind, Result, StoreError};
use postgres::config::SslMode;
use postgres::{Client, Config};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};
use rustls_pki_types::pem::PemObject;
use std::str::FromStr;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Encrypt, check nothing (`prefer`, `require`).
    None,
    /// The chain to a trusted root, any host name (`verify-ca`).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// A parsed connection string: the driver's [`Config`] plus keyward's TLS choice.
pub struct PgConnect {
    config: Config,
    verify: Verify,
    roots: Option<RootCertStore>,
}

impl std::fmt::Debug for PgConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConnect")
            .field("ssl_mode", &self.config.get_ssl_mode())
            .field("verify", &self.verify)
            .finish_non_exhaustive()
    }
}

fn invalid(msg: String) -> StoreError {
    StoreError::new(ErrorKind::InvalidInput, msg)
}

/// `%XX` decoding of a query value (paths may be percent-encoded).
fn percent_decode(v: &str) -> String {
    let b = v.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Take libpq's TLS parameters out of a `postgres://` URL's query: the rest (as the
/// driver takes it) and the values of `sslmode` and `sslrootcert`.
fn split_tls_params(url: &str) -> Result<(String, Option<String>, Option<String>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None, None));
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for kv in query.split('&').filter(|kv| !kv.is_empty()) {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "sslmode" => mode = Some(percent_decode(v)),
            "sslrootcert" => root = Some(percent_decode(v)),
            "sslcert" | "sslkey" | "sslpassword" => {
                return Err(invalid(format!(
                    "`{k}` in the PostgreSQL URL: client certificates are not supported by keyward yet (use a password, over sslmode=verify-full)"
                )))
            }
            _ => kept.push(kv),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, mode, root))
}

fn load_roots(spec: &str) -> Result<RootCertStore> {
    if spec == "system" {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    }
    let certs = CertificateDer::pem_file_iter(spec)
        .and_then(|it| it.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| {
            invalid(format!(
                "sslrootcert {spec}: cannot read PEM certificates ({e})"
            ))
        })?;
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(invalid(format!(
            "sslrootcert {spec}: no usable CA certificate in it"
        )));
    }
    Ok(store)
}

/// libpq's default root certificate file, when it exists.
fn default_root_file() -> Option<String> {
    let home = std::env::var_os("HOME")?;
    let p = std::path::Path::new(&home).join(".postgresql/root.crt");
    p.is_file().then(|| p.display().to_string())
}

impl PgConnect {
    /// Parse a `postgres://` URL (or a libpq `key=value` string, whose `sslmode` may then
    /// only be `disable`, `prefer` or `require`). Fails with [`ErrorKind::InvalidInput`]
    /// on an unknown `sslmode`, an unreadable `sslrootcert`, client certificate
    /// parameters, or `verify-ca`/`verify-full` without a root certificate.
    pub fn parse(url: &str) -> Result<PgConnect> {
        let (rest, mode, root) =
            if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                split_tls_params(url)?
            } else {
                (url.to_string(), None, None)
            };
        let mut config = Config::from_str(&rest)
            .map_err(|e| invalid(format!("invalid PostgreSQL connection string: {e}")))?;
        let (ssl, mut verify) = match mode.as_deref() {
            None => (config.get_ssl_mode(), Verify::None),
            Some("disable") => (SslMode::Disable, Verify::None),
            Some("allow") | Some("prefer") => (SslMode::Prefer, Verify::None),
            Some("require") => (SslMode::Require, Verify::None),
            Some("verify-ca") => (SslMode::Require, Verify::Chain),
            Some("verify-full") => (SslMode::Require, Verify::Full),
            Some(other) => {
                return Err(invalid(format!(
                    "sslmode `{other}` is not one of disable, allow, prefer, require, verify-ca, verify-full"
                )))
            }
        };
        config.ssl_mode(ssl);
        let root = root.or_else(|| (verify != Verify::None).then(default_root_file).flatten());
        let roots = match &root {
            Some(spec) if ssl != SslMode::Disable => Some(load_roots(spec)?),
            _ => None,
        };
        // libpq: `require` with a root certificate behaves as `verify-ca`.
        if verify == Verify::None && ssl == SslMode::Require && roots.is_some() {
            verify = Verify::Chain;
        }
        if verify != Verify::None && roots.is_none() {
            return Err(invalid(format!(
                "sslmode={} needs a root certificate: add sslrootcert=FILE (PEM) or sslrootcert=system to the URL",
                if verify == Verify::Full { "verify-full" } else { "verify-ca" }
            )));
        }
        Ok(PgConnect {
            config,
            verify,
            roots,
        })
    }

    /// The driver's configuration (to change the user or password, say).
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.config
    }

    /// How the server's certificate is checked.
    pub fn verify(&self) -> Verify {
        self.verify
    }

    /// Connect (blocking). TLS failures come back as the driver's error, in one line
    /// (`error performing TLS handshake: invalid peer certificate: …`).
    pub fn connect(&self) -> std::result::Result<Client, postgres::Error> {
        if self.config.get_ssl_mode() == SslMode::Disable {
            return self.config.connect(postgres::NoTls);
        }
        self.config
            .connect(MakeRustlsConnect::new(self.tls_config()))
    }

    fn tls_config(&self) -> ClientConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions");
        let verifier: Arc<dyn ServerCertVerifier> = match (&self.roots, self.verify) {
            (Some(roots), Verify::Full | Verify::Chain) => {
                let webpki = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots.clone()),
                    provider.clone(),
                )
                .build()
                .expect("a non-empty root store");
                Arc::new(Checked {
                    webpki,
                    check_name: self.verify == Verify::Full,
                })
            }
            _ => Arc::new(Unchecked(provider)),
        };
        builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth()
    }
}

/// Connect to `url` honouring its TLS parameters ([`PgConnect`]); errors are one line
/// and never contain the URL's password.
pub fn connect(url: &str) -> Result<Client> {
    let c = PgConnect::parse(url)?;
    c.connect()
        .map_err(|e| StoreError::new(ErrorKind::Backend, describe(&e)))
}

/// A driver error with its causes, in one line: `error performing TLS handshake: invalid
/// peer certificate: certificate not valid for name "127.0.0.1"; …` (the driver's own
/// `Display` stops at the first part).
pub fn describe(e: &postgres::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.replace('\n', " ")
}

/// The chain checked by webpki; the host name too unless `check_name` is false.
#[derive(Debug)]
struct Checked {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// `prefer`/`require`: any certificate (libpq's behaviour), but the handshake's
/// signatures are still checked against it.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_as_libpq_does() {
        let p = |u: &str| PgConnect::parse(u);
        assert_eq!(
            p("postgres://h/db").unwrap().config.get_ssl_mode(),
            SslMode::Prefer
        );
        let d = p("postgres://h/db?sslmode=disable").unwrap();
        assert_eq!(d.config.get_ssl_mode(), SslMode::Disable);
        let r = p("postgres://h/db?sslmode=require&application_name=x").unwrap();
        assert_eq!(
            (r.config.get_ssl_mode(), r.verify),
            (SslMode::Require, Verify::None)
        );
        assert_eq!(r.config.get_application_name(), Some("x"));
        let full = p("postgres://h/db?sslmode=verify-full&sslrootcert=system").unwrap();
        assert_eq!(full.verify, Verify::Full);
        let ca = p("postgres://h/db?sslrootcert=system&sslmode=verify-ca").unwrap();
        assert_eq!(ca.verify, Verify::Chain);
        let req_root = p("postgres://h/db?sslmode=require&sslrootcert=system").unwrap();
        assert_eq!(
            req_root.verify,
            Verify::Chain,
            "require + root cert = verify-ca"
        );
    }

    #[test]
    fn bad_tls_parameters_are_refused_in_one_line() {
        for (url, want) in [
            (
                "postgres://h/db?sslmode=verify",
                "sslmode `verify` is not one of",
            ),
            (
                "postgres://h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
                "sslrootcert /nonexistent/ca.pem: cannot read",
            ),
            (
                "postgres://h/db?sslcert=/c.pem",
                "client certificates are not supported",
            ),
            (
                "postgres://h/db?sslmode=verify-full",
                "needs a root certificate",
            ),
        ] {
            let e = PgConnect::parse(url).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{url}");
            assert!(e.to_string().contains(want), "{url}: {e}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    #[test]
    fn percent_encoded_values_are_decoded() {
        assert_eq!(percent_decode("%2Ftmp%2Fca.pem"), "/tmp/ca.pem");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
