//! Live endpoints (`--tls-endpoint host:port`): a TLS handshake with rustls that accepts
//! whatever certificate the server presents (keyward inspects it; it sends nothing over
//! the connection), then the leaf certificate is checked like any other, for the host.

use super::{check_der, CertFacts, Rules};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// How long connecting and the handshake may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts any chain: the certificate is judged afterwards, by [`check_der`].
#[derive(Debug)]
struct Inspect(Arc<CryptoProvider>);

impl ServerCertVerifier for Inspect {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
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
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Split `host:port` (`[v6]:port` too); the port defaults to 443.
pub fn split(endpoint: &str) -> Result<(String, u16), String> {
    let (host, port) = match endpoint.rsplit_once(':') {
        Some((h, _)) if !h.ends_with(']') && h.contains(':') => (endpoint, "443"),
        Some((h, p)) => (h, p),
        None => (endpoint, "443"),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port
        .parse()
        .map_err(|_| format!("--tls-endpoint {endpoint}: `{port}` is not a port"))?;
    if host.is_empty() {
        return Err(format!("--tls-endpoint {endpoint}: no host"));
    }
    Ok((host.to_string(), port))
}

/// Fetch the certificate `endpoint` presents and check it for its host. A connection or
/// handshake failure is reported as the certificate's problem (`unreachable`).
pub fn check(endpoint: &str, rules: Rules) -> Result<CertFacts, String> {
    let (host, port) = split(endpoint)?;
    let source = format!("endpoint {host}:{port}");
    let unreachable = |why: String| CertFacts {
        source: source.clone(),
        expected_hosts: vec![host.clone()],
        problems: vec![super::problem("unreachable", why)],
        ..CertFacts::default()
    };
    match fetch(&host, port) {
        Ok(der) => Ok(check_der(&der, &source, std::slice::from_ref(&host), rules)),
        Err(why) => Ok(unreachable(why)),
    }
}

/// The leaf certificate (DER) presented by `host:port`.
pub fn fetch(host: &str, port: u16) -> Result<Vec<u8>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Inspect(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).map_err(|e| format!("{host}: {e}"))?;
    let mut conn =
        ClientConnection::new(Arc::new(config), name).map_err(|e| format!("{host}: {e}"))?;
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {host}"))?;
    let mut sock = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
    sock.set_read_timeout(Some(TIMEOUT)).ok();
    sock.set_write_timeout(Some(TIMEOUT)).ok();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)
            .map_err(|e| format!("TLS handshake with {host}:{port} failed: {e}"))?;
    }
    conn.peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec())
        .ok_or_else(|| format!("{host}:{port} presented no certificate"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            split("api.example.com:8443").unwrap(),
            ("api.example.com".into(), 8443)
        );
        assert_eq!(
            split("api.example.com").unwrap(),
            ("api.example.com".into(), 443)
        );
        assert_eq!(split("[::1]:443").unwrap(), ("::1".into(), 443));
        assert!(split("host:port").unwrap_err().contains("not a port"));
        assert!(split(":443").is_err());
    }
}
