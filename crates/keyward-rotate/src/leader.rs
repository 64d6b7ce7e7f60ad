//! Which process runs the scheduled rotations: with several server replicas on one
//! PostgreSQL store, only the one holding a session-level advisory lock
//! (`pg_try_advisory_lock`, keyed by the store's schema) does; the lock is released by
//! PostgreSQL when that replica's connection ends, so another replica takes over at its
//! next attempt. On SQLite, an exclusive `flock` on `<store file>.scheduler-lock` plays the
//! same part for processes sharing the file.
//!
//! Per-secret rotation leases ([`crate::lease`]) still guard every rotation, so even two
//! leaders (a network partition) could not run the same rotation twice; the leader lock
//! only keeps replicas from racing for the same work.

use crate::error::{Result, RotateError};
use keyward_store::backend::pg_tls::{describe, PgConnect};
use keyward_store::Location;

/// A claim on the scheduler for one store.
pub struct Leader {
    how: How,
    held: bool,
}

enum How {
    Pg {
        url: String,
        key: String,
        client: Option<Box<postgres::Client>>,
    },
    #[cfg(unix)]
    File {
        path: std::path::PathBuf,
        file: Option<std::fs::File>,
    },
    /// No lock to take (non-Unix SQLite): a single process is assumed.
    #[cfg(not(unix))]
    Alone,
}

impl std::fmt::Debug for Leader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leader")
            .field("held", &self.held)
            .finish_non_exhaustive()
    }
}

impl Leader {
    /// The scheduler claim for the store at `location` (nothing is locked yet).
    pub fn for_location(location: &Location) -> Leader {
        let how = match location {
            Location::Postgres { url, schema } => How::Pg {
                url: url.clone(),
                key: format!(
                    "keyward-scheduler:{}",
                    schema.as_deref().unwrap_or("public")
                ),
                client: None,
            },
            #[cfg(unix)]
            Location::Sqlite(p) => {
                let mut name = p.clone().into_os_string();
                name.push(".scheduler-lock");
                How::File {
                    path: name.into(),
                    file: None,
                }
            }
            #[cfg(not(unix))]
            Location::Sqlite(_) => How::Alone,
        };
        Leader { how, held: false }
    }

    /// Whether this process holds the claim now: takes it when free, keeps it while held
    /// (checking that the PostgreSQL session holding it is still alive). An unreachable
    /// database is an error and leaves the claim released.
    pub fn try_lead(&mut self) -> Result<bool> {
        let held = match &mut self.how {
            How::Pg { url, key, client } => pg_lead(url, key, client, self.held)?,
            #[cfg(unix)]
            How::File { path, file } => file_lead(path, file)?,
            #[cfg(not(unix))]
            How::Alone => true,
        };
        self.held = held;
        Ok(held)
    }

    /// Whether the last [`Leader::try_lead`] held the claim.
    pub fn is_leader(&self) -> bool {
        self.held
    }

    /// Give the claim up (the next replica to try takes it).
    pub fn release(&mut self) {
        match &mut self.how {
            How::Pg { client, .. } => *client = None,
            #[cfg(unix)]
            How::File { file, .. } => *file = None,
            #[cfg(not(unix))]
            How::Alone => {}
        }
        self.held = false;
    }
}

fn pg_lead(
    url: &str,
    key: &str,
    client: &mut Option<Box<postgres::Client>>,
    held: bool,
) -> Result<bool> {
    let fail =
        |e: postgres::Error| RotateError::target(format!("scheduler lock: {}", describe(&e)));
    if held {
        // Session locks are re-entrant: asking again would stack a second hold. Check
        // that the session that holds it is alive instead.
        if let Some(c) = client.as_mut() {
            match c.simple_query("SELECT 1") {
                Ok(_) => return Ok(true),
                Err(_) => *client = None,
            }
        }
    }
    if client.is_none() {
        let connect = PgConnect::parse(url).map_err(RotateError::from)?;
        *client = Some(Box::new(connect.connect().map_err(fail)?));
    }
    let c = client.as_mut().expect("connected above");
    match c.query_one("SELECT pg_try_advisory_lock(hashtext($1))", &[&key]) {
        Ok(row) => Ok(row.get(0)),
        Err(e) => {
            *client = None;
            Err(fail(e))
        }
    }
}

#[cfg(unix)]
fn file_lead(path: &std::path::Path, file: &mut Option<std::fs::File>) -> Result<bool> {
    use std::os::unix::io::AsRawFd;
    if file.is_some() {
        return Ok(true);
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| RotateError::target(format!("scheduler lock {}: {e}", path.display())))?;
    // SAFETY: flock on a descriptor we own; no memory is passed.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r == 0 {
        *file = Some(f);
        Ok(true)
    } else {
        Ok(false)
    }
}
