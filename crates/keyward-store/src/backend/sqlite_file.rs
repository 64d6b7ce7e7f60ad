//! What is at a SQLite store path, found out before anything touches it: keyward never
//! follows a symbolic link, never changes the mode of (or writes to) a file it has not
//! recognised as a keyward store, and never adds tables to someone else's database.
//!
//! A keyward store is recognised by its SQLite header's `application_id`
//! ([`APPLICATION_ID`], written at creation and by the upgrade), or, for stores made
//! before that, by its tables (`schema_migrations`, `store_meta`, `audit_head`), read
//! through a read-only connection.

use crate::error::{ErrorKind, Result, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// `KWRD`: the SQLite `application_id` of a keyward store.
pub const APPLICATION_ID: u32 = 0x4B57_5244;

const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What is at the path.
pub(super) enum Found {
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

/// Find out what is at `path` without changing anything there.
pub(super) fn inspect(path: &Path) -> Result<Found> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
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

/// Make the store file at `path` private (mode 0600) through the descriptor `file` that
/// was validated, after checking the path still names that file (no swap in between).
pub(super) fn restrict(file: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let same = match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino() && b.is_file(),
            _ => false,
        };
        if !same {
            return Err(refuse(
                ErrorKind::Foreign,
                path,
                "changed while keyward was opening it",
            ));
        }
        let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}
