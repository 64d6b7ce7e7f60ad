//! What is at a SQLite store path, found out before anything touches it: keyward never
//! follows a symbolic link, never changes the mode of (or writes to) a file it has not
//! recognised as a keyward store, and never adds tables to someone else's database.
//!
//! A keyward store is recognised by its SQLite header's `application_id`
//! ([`APPLICATION_ID`], written at creation and by the upgrade), or, for stores made
//! before that, by its tables (`schema_migrations`, `store_meta`, `audit_head`), read
//! through a read-only connection.
//!
//! **POSIX locks**: closing *any* descriptor of a file drops every `fcntl` lock the process
//! holds on it, including SQLite's — which lets another process delete a WAL that is still
//! in use. So the file is read and chmodded through a descriptor of our own only when no
//! connection of this process has it open: a process-wide registry of open stores (by
//! device and inode) skips the check for a file already validated, and opens are
//! serialized while the check runs.

use crate::error::{ErrorKind, Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

/// Store files open in this process: (device, inode) → open connections.
static OPEN: Mutex<Option<HashMap<(u64, u64), usize>>> = Mutex::new(None);

/// A connection's entry in the registry of open store files; dropping it (after the
/// connection) removes the entry.
pub(super) struct Registration {
    key: (u64, u64),
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut reg = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        let map = reg.get_or_insert_with(HashMap::new);
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(unix)]
fn file_key(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
fn file_key(_m: &std::fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// `KWRD`: the SQLite `application_id` of a keyward store.
pub const APPLICATION_ID: u32 = 0x4B57_5244;

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What is at the path.
enum Found {
    /// Nothing.
    Missing,
    /// A regular file that is empty, or a SQLite database without tables.
    Empty(File),
    /// A keyward store.
    Store(File),
}

fn refuse(kind: ErrorKind, path: &Path, why: &str) -> StoreError {
    StoreError::new(
        kind,
        format!("{} {why}; keyward did not touch it", path.display()),
    )
}

/// Open `path` for reading without following a symbolic link in its last component.
fn open_nofollow(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    opts.open(path)
}

/// What is at `path`: `None` when nothing; an error for a symbolic link or anything but
/// a regular file.
fn lstat(path: &Path) -> Result<Option<std::fs::Metadata>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::with_source(
                ErrorKind::Backend,
                format!("cannot read {}", path.display()),
                e,
            ))
        }
    };
    if meta.file_type().is_symlink() {
        return Err(refuse(
            ErrorKind::Foreign,
            path,
            "is a symbolic link (give the store's real path)",
        ));
    }
    if !meta.is_file() {
        return Err(refuse(ErrorKind::Foreign, path, "is not a regular file"));
    }
    Ok(Some(meta))
}

/// Find out what the regular file at `path` is, reading it through a descriptor of our
/// own (call only while no connection of this process has it open).
fn inspect(path: &Path) -> Result<Found> {
    let mut file = open_nofollow(path).map_err(|e| {
        StoreError::with_source(
            ErrorKind::Backend,
            format!("cannot open {}", path.display()),
            e,
        )
    })?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(refuse(ErrorKind::Foreign, path, "is not a regular file"));
    }
    let mut header = Vec::with_capacity(100);
    (&mut file)
        .take(100)
        .read_to_end(&mut header)
        .map_err(|e| {
            StoreError::with_source(
                ErrorKind::Backend,
                format!("cannot read {}", path.display()),
                e,
            )
        })?;
    if header.is_empty() {
        return Ok(Found::Empty(file));
    }
    if header.len() < 100 || &header[..16] != MAGIC {
        return Err(refuse(
            ErrorKind::Foreign,
            path,
            "is not a SQLite database, so not a keyward store",
        ));
    }
    let app_id = u32::from_be_bytes(header[68..72].try_into().expect("4 bytes"));
    if app_id == APPLICATION_ID {
        return Ok(Found::Store(file));
    }
    if app_id != 0 {
        return Err(refuse(
            ErrorKind::Foreign,
            path,
            &format!("is a SQLite database of another application (application_id {app_id:#x}), not a keyward store"),
        ));
    }
    let tables = tables(path)?;
    if tables.is_empty() {
        return Ok(Found::Empty(file));
    }
    let ours = ["schema_migrations", "store_meta", "audit_head"];
    if ours.iter().all(|t| tables.iter().any(|n| n == t)) {
        return Ok(Found::Store(file));
    }
    let mut shown: Vec<&str> = tables.iter().map(String::as_str).take(5).collect();
    if tables.len() > 5 {
        shown.push("…");
    }
    Err(refuse(
        ErrorKind::Foreign,
        path,
        &format!(
            "is a SQLite database that is not a keyward store (tables: {}), and keyward will not add its tables to it",
            shown.join(", ")
        ),
    ))
}

/// The tables of the database at `path`, read through a read-only connection.
fn tables(path: &Path) -> Result<Vec<String>> {
    let err = |e: rusqlite::Error| {
        StoreError::with_source(
            ErrorKind::Foreign,
            format!(
                "cannot read {} as a SQLite database; keyward did not touch it",
                path.display()
            ),
            e,
        )
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .map_err(err)?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(err)?;
    Ok(names)
}

/// Make a validated store file private (mode 0600) through its descriptor.
fn restrict(file: &File) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// Create a new, empty store file at `path` with mode 0600 (and its directory with mode
/// 0700 when missing). Fails when something appeared there meanwhile.
fn create_file(path: &Path) -> Result<File> {
    let fail = |what: &Path, e: std::io::Error| {
        StoreError::with_source(
            ErrorKind::Backend,
            format!("cannot create {}", what.display()),
            e,
        )
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(|e| fail(dir, e))?;
        }
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path).map_err(|e| fail(path, e))
}

/// Validate the store file at `path` (see the module docs), create it when missing and
/// `create`, and open a read-write connection to it. Returns the connection and its
/// registration, which must be dropped after the connection.
pub(super) fn open(path: &Path, create: bool) -> Result<(Connection, Registration)> {
    let shown = path.display();
    let mut reg = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    let map = reg.get_or_insert_with(HashMap::new);
    let before = lstat(path)?;
    let known = before
        .as_ref()
        .is_some_and(|m| map.contains_key(&file_key(m)));
    if !known {
        let found = match before {
            None => Found::Missing,
            Some(_) => inspect(path)?,
        };
        let file = match (found, create) {
            (Found::Missing, false) => {
                return Err(StoreError::new(
                    ErrorKind::NotInitialized,
                    format!("no store at {shown} (run `keyward store init`, or set --store / KEYWARD_STORE)"),
                ))
            }
            (Found::Empty(_), false) => {
                return Err(StoreError::new(
                    ErrorKind::NotInitialized,
                    format!("{shown} is empty, not a keyward store (run `keyward store init`)"),
                ))
            }
            (Found::Missing, true) => create_file(path)?,
            (Found::Empty(f), true) | (Found::Store(f), _) => f,
        };
        restrict(&file);
        // Closed before SQLite opens the file: no lock of ours to drop yet.
        drop(file);
    }
    let validated = lstat(path)?.map(|m| file_key(&m));
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        StoreError::with_source(ErrorKind::Backend, format!("cannot open store {shown}"), e)
    })?;
    let now = lstat(path)?.map(|m| file_key(&m));
    let key = match (validated, now) {
        (Some(a), Some(b)) if a == b => a,
        _ => {
            return Err(refuse(
                ErrorKind::Foreign,
                path,
                "changed while keyward was opening it",
            ))
        }
    };
    *map.entry(key).or_insert(0) += 1;
    Ok((conn, Registration { key }))
}
