//! Serving an app: HTTPS with rustls from PEM files, or plain HTTP only on a loopback
//! address unless explicitly allowed; graceful shutdown on a signal (in-flight requests
//! finish, up to 30 s).

use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Certificate chain and key, PEM.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// Why the server did not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Plain HTTP on a non-loopback address without `--insecure-http`.
    #[error("refusing to serve plain HTTP on {0}: configure [server] tls_cert_file and tls_key_file, listen on 127.0.0.1, or pass --insecure-http")]
    PlainHttp(SocketAddr),
    /// TLS files unreadable or invalid.
    #[error("TLS: {0}")]
    Tls(String),
    /// Socket error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Check the plain-HTTP rule without starting anything.
pub fn check_plain_http(
    addr: SocketAddr,
    tls: bool,
    insecure_http: bool,
) -> Result<(), ServeError> {
    if tls || insecure_http || addr.ip().is_loopback() {
        Ok(())
    } else {
        Err(ServeError::PlainHttp(addr))
    }
}

/// Serve `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: std::net::TcpListener,
    app: Router,
    tls: Option<TlsFiles>,
    insecure_http: bool,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let addr = listener.local_addr()?;
    check_plain_http(addr, tls.is_some(), insecure_http)?;
    listener.set_nonblocking(true)?;
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        h.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    let svc = app.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(files) => {
            crate::install_crypto_provider();
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
                    .await
                    .map_err(|e| {
                        ServeError::Tls(format!(
                            "{} / {}: {e}",
                            files.cert.display(),
                            files.key.display()
                        ))
                    })?;
            tracing::info!(%addr, "listening (https)");
            axum_server::from_tcp_rustls(listener, config)
                .handle(handle)
                .serve(svc)
                .await?;
        }
        None => {
            tracing::info!(%addr, "listening (http)");
            axum_server::from_tcp(listener)
                .handle(handle)
                .serve(svc)
                .await?;
        }
    }
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback_unless_allowed() {
        let lo: SocketAddr = "127.0.0.1:8200".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8200".parse().unwrap();
        assert!(check_plain_http(lo, false, false).is_ok());
        assert!(check_plain_http("[::1]:8200".parse().unwrap(), false, false).is_ok());
        let e = check_plain_http(any, false, false).unwrap_err().to_string();
        assert!(e.contains("--insecure-http"), "{e}");
        assert!(check_plain_http(any, true, false).is_ok());
        assert!(check_plain_http(any, false, true).is_ok());
    }
}
