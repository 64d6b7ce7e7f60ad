//! A minimal synchronous RESP2 client: enough for `AUTH`, `ACL SETUSER` and `PING`.
//!
//! keyward sends Redis only password *hashes* (`#<sha256>` / `!<sha256>`), never the
//! plaintext, except for `AUTH` when testing a credential.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A reply.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`.
    Simple(String),
    /// `-ERR …` (the message may echo arguments; callers redact it).
    Error(String),
    /// `:1`.
    Int(i64),
    /// `$…` (`None` for a null bulk string).
    Bulk(Option<Vec<u8>>),
    /// `*…`.
    Array(Vec<Reply>),
}

/// A connection to one Redis server.
pub struct Conn {
    reader: BufReader<TcpStream>,
}

/// Parsed `redis://[user[:pass]@]host[:port][/db]`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    /// `host:port`.
    pub addr: String,
    /// ACL user.
    pub user: Option<String>,
    /// Password.
    pub pass: Option<String>,
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisUrl")
            .field("addr", &self.addr)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl RedisUrl {
    /// Parse a `redis://` URL; `None` when malformed.
    pub fn parse(url: &str) -> Option<RedisUrl> {
        let rest = url.strip_prefix("redis://")?;
        let rest = rest.split('/').next()?;
        let (creds, host) = match rest.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, rest),
        };
        let (user, pass) = match creds {
            None => (None, None),
            Some(c) => match c.split_once(':') {
                Some((u, p)) => ((!u.is_empty()).then(|| pct_decode(u)), Some(pct_decode(p))),
                None => (Some(pct_decode(c)), None),
            },
        };
        if host.is_empty() {
            return None;
        }
        let addr = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:6379")
        };
        Some(RedisUrl { addr, user, pass })
    }
}

impl Conn {
    /// Connect (5 s timeouts) and authenticate with the URL's credentials.
    pub fn open(url: &RedisUrl) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(&url.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.set_write_timeout(Some(Duration::from_secs(5)))?;
        let mut conn = Conn {
            reader: BufReader::new(stream),
        };
        if let Some(pass) = &url.pass {
            let reply = match &url.user {
                Some(u) => conn.call(&[b"AUTH", u.as_bytes(), pass.as_bytes()])?,
                None => conn.call(&[b"AUTH", pass.as_bytes()])?,
            };
            if let Reply::Error(_) = reply {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "redis admin authentication failed",
                ));
            }
        }
        Ok(conn)
    }

    /// Send one command and read its reply.
    pub fn call(&mut self, args: &[&[u8]]) -> std::io::Result<Reply> {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        let stream = self.reader.get_mut();
        stream.write_all(&buf)?;
        stream.flush()?;
        zeroize::Zeroize::zeroize(&mut buf);
        read_reply(&mut self.reader)
    }
}

fn bad(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

fn read_reply(r: &mut BufReader<TcpStream>) -> std::io::Result<Reply> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(bad("redis closed the connection"));
    }
    let line = line.trim_end_matches(['\r', '\n']);
    let (tag, rest) = line.split_at(1.min(line.len()));
    Ok(match tag {
        "+" => Reply::Simple(rest.to_string()),
        "-" => Reply::Error(rest.to_string()),
        ":" => Reply::Int(rest.parse().map_err(|_| bad("bad integer"))?),
        "$" => {
            let n: i64 = rest.parse().map_err(|_| bad("bad length"))?;
            if n < 0 {
                return Ok(Reply::Bulk(None));
            }
            let mut data = vec![0u8; n as usize + 2];
            std::io::Read::read_exact(r, &mut data)?;
            data.truncate(n as usize);
            Reply::Bulk(Some(data))
        }
        "*" => {
            let n: i64 = rest.parse().map_err(|_| bad("bad array length"))?;
            let mut items = Vec::new();
            for _ in 0..n.max(0) {
                items.push(read_reply(r)?);
            }
            Reply::Array(items)
        }
        _ => return Err(bad("unexpected redis reply")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let u = RedisUrl::parse("redis://127.0.0.1:6379").unwrap();
        assert_eq!(
            (u.addr.as_str(), u.user, u.pass),
            ("127.0.0.1:6379", None, None)
        );
        let u = RedisUrl::parse("redis://admin:p%40ss@h/0").unwrap(); // keyward:allow
        assert_eq!(u.addr, "h:6379");
        assert_eq!(u.user.as_deref(), Some("admin"));
        assert_eq!(u.pass.as_deref(), Some("p@ss"));
        let u = RedisUrl::parse("redis://:pw@h:7000").unwrap();
        assert_eq!((u.user, u.pass.as_deref()), (None, Some("pw")));
        assert!(!format!("{:?}", RedisUrl::parse("redis://:pw@h").unwrap()).contains("pw"));
        assert!(RedisUrl::parse("http://h").is_none());
    }
}
