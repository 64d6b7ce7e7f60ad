//! [`Location`]: where a store lives, from `--store` / `KEYWARD_STORE`.

use crate::backend::postgres::PgBackend;
use crate::backend::sqlite::SqliteBackend;
use crate::backend::Backend;
use crate::error::Result;
use std::path::PathBuf;

/// The default SQLite file, relative to the working directory.
pub const DEFAULT_SQLITE_PATH: &str = ".keyward/store.db";

/// A store's location.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database: the connection URL (keyward's own `schema` parameter
    /// removed) and the schema to use, if any.
    Postgres {
        /// `postgres://user@host:port/db…` as the driver takes it.
        url: String,
        /// A schema holding the store (`?schema=NAME` on the given URL).
        schema: Option<String>,
    },
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

impl Location {
    /// Parse a `--store` value: `postgres://…` or `postgresql://…` (optionally with
    /// `schema=NAME` among its query parameters), otherwise a file path. `None` gives
    /// [`DEFAULT_SQLITE_PATH`].
    pub fn parse(value: Option<&str>) -> Location {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Location::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH));
        };
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            let (base, query) = match value.split_once('?') {
                Some((b, q)) => (b, q),
                None => (value, ""),
            };
            let mut schema = None;
            let kept: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.is_empty())
                .filter(|kv| match kv.strip_prefix("schema=") {
                    Some(s) => {
                        schema = Some(s.to_string());
                        false
                    }
                    None => true,
                })
                .collect();
            let url = if kept.is_empty() {
                base.to_string()
            } else {
                format!("{base}?{}", kept.join("&"))
            };
            return Location::Postgres { url, schema };
        }
        Location::Sqlite(PathBuf::from(value))
    }

    /// A printable form (no password).
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres { url, schema } => {
                let url = crate::backend::postgres::redact_url(url);
                match schema {
                    Some(s) => format!("{url} (schema {s})"),
                    None => url,
                }
            }
        }
    }

    /// Open the backend; `create` allows a new file / schema (for `store init`).
    pub fn open(&self, create: bool) -> Result<Box<dyn Backend>> {
        let backend: Box<dyn Backend> = match self {
            Location::Sqlite(p) => {
                tracing::debug!(path = %p.display(), create, "opening SQLite store");
                Box::new(SqliteBackend::open(p, create)?)
            }
            Location::Postgres { url, schema } => {
                // The URL's password is never logged.
                let shown = crate::backend::postgres::redact_url(url);
                tracing::debug!(url = %shown, schema = ?schema, create, "opening PostgreSQL store");
                Box::new(PgBackend::open(url, schema.as_deref(), create).inspect_err(
                    |e| tracing::info!(url = %shown, error = %e, "PostgreSQL store unavailable"),
                )?)
            }
        };
        tracing::debug!("store opened");
        Ok(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_locations() {
        assert_eq!(
            Location::parse(None),
            Location::Sqlite(PathBuf::from(".keyward/store.db"))
        );
        assert_eq!(
            Location::parse(Some("postgres://u:pw@h/db?schema=kw&sslmode=disable")),
            Location::Postgres {
                url: "postgres://u:pw@h/db?sslmode=disable".into(),
                schema: Some("kw".into())
            }
        );
        let shown = Location::parse(Some("postgres://u:pw@h/db")).display();
        assert!(!shown.contains("pw"), "{shown}");
    }
}
