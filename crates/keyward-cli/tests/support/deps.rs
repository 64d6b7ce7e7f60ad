//! Helpers of the `keyward deps` end-to-end tests: the shared OSV data, zips, a command's
//! output at an expected exit code, and a throw-away HTTP server on 127.0.0.1 serving fixed
//! bodies by path, for `db update`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `shared/osv` beside the checkout; fails loudly when it is missing.
pub fn shared_osv() -> PathBuf {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/osv"));
    assert!(
        p.join("PyPI/all.zip").is_file(),
        "shared/osv is needed beside the checkout ({})",
        p.display()
    );
    p.to_path_buf()
}

/// A zip holding `files` (name, body), stored uncompressed.
pub fn make_zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Run `c`, assert its exit code, return (stdout, stderr).
pub fn ran(c: &mut assert_cmd::Command, code: i32) -> (String, String) {
    let out = c.assert().code(code).get_output().clone();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The running server: its base URL and the paths requested so far.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Request paths, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Serve `routes` (path → body; anything else is 404) from a background thread until the
/// test process ends. Bound to port 0 on loopback, so parallel tests never collide.
pub fn serve(routes: HashMap<String, Vec<u8>>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).map(|n| n == 1).unwrap_or(false)
            {
                head.push(byte[0]);
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            seen.lock().unwrap().push(path.clone());
            let (status, body) = match routes.get(&path) {
                Some(b) => ("200 OK", b.clone()),
                None => ("404 Not Found", b"not found".to_vec()),
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/zip\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(&body);
        }
    });
    Server { base, requests }
}
