//! Running the built `keyward serve` in tests: a store, a server process on a free port,
//! and a minimal HTTP/1.1 client (std only) to talk to it.
#![allow(dead_code)] // each suite uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Master key of test stores.
pub const KEY: &str = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=";
/// Token-hash key of test servers.
pub const HASH_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyward"))
}

/// A `keyward` command with the test store and keys in its environment, run in `dir`.
pub fn keyward(dir: &Path, store: &str) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .env("KEYWARD_STORE", store)
        .env("KEYWARD_MASTER_KEY", KEY)
        .env("KEYWARD_TOKEN_HASH_KEY", HASH_KEY)
        .env("NO_COLOR", "1");
    c
}

/// Run `keyward args` with `stdin`, require success, return stdout.
pub fn ok(dir: &Path, store: &str, args: &[&str], stdin: &str) -> String {
    let mut child = keyward(dir, store)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "keyward {args:?}: {}\n{}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A free local port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `keyward serve` process, killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// What it printed on stdout before serving.
    pub banner: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `keyward serve` (plus `args`) with `env`, wait until `sys/health` answers.
pub fn serve(dir: &Path, store: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut c = keyward(dir, store);
    c.arg("serve")
        .args(["--listen", &addr])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut banner = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("KV v2 engine mounted") || line.starts_with("keyward server on") {
                let _ = tx.send(banner.clone());
            }
        }
    });
    let banner = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_default();
    let s = Server {
        child,
        addr,
        banner,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if s.try_request("GET", "/v1/sys/health", None, None).is_some() {
            return s;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("keyward serve did not answer on {}", s.addr);
}

/// A response.
#[derive(Debug)]
pub struct Resp {
    /// Status code.
    pub status: u16,
    /// Raw headers.
    pub headers: String,
    /// Body as JSON (`Null` when empty or not JSON).
    pub json: serde_json::Value,
}

impl Server {
    /// The root token printed in the banner.
    pub fn root_token(&self) -> String {
        self.banner
            .lines()
            .find_map(|l| l.strip_prefix("Root Token: "))
            .expect("a root token in the banner")
            .trim()
            .to_string()
    }

    /// One request; `None` when the connection failed.
    pub fn try_request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Option<Resp> {
        request(&self.addr, method, path, token, body)
    }

    /// One request, which must get an answer.
    pub fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Resp {
        self.try_request(method, path, token, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer"))
    }
}

/// One HTTP/1.1 request to `addr`.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Option<Resp> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if let Some(t) = token {
        head.push_str(&format!("X-Vault-Token: {t}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (headers, rest) = text.split_once("\r\n\r\n")?;
    let status = headers.split_whitespace().nth(1)?.parse().ok()?;
    let body = if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Some(Resp {
        status,
        headers: headers.to_string(),
        json: serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    })
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// `GET path` with `token`; the raw body as text (non-JSON responses).
pub fn request_text(addr: &str, path: &str, token: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Vault-Token: {token}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (headers, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    }
}
