//! Reading dotenv files and writing files that hold secrets.

use crate::dotenv::{self, Dotenv};
use crate::Error;
use std::io::Write;
use std::path::Path;

/// Read and parse a dotenv file; errors name the file and the line.
pub fn load(path: &Path) -> Result<Dotenv, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    dotenv::parse(&text).map_err(|e| Error::syntax(path, e))
}

/// Write `contents` to `path` with mode 0600 (owner read/write only, on Unix). Fails with
/// [`Error::Exists`] when the file exists and `overwrite` is false. An overwritten file is
/// replaced atomically (a private temporary file renamed over it), so it is never readable
/// by others, not even briefly.
pub fn write_private(path: &Path, contents: &[u8], overwrite: bool) -> Result<(), Error> {
    let werr = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if !overwrite {
        let mut f = private_options()
            .create_new(true)
            .open(path)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => Error::Exists {
                    path: path.to_path_buf(),
                },
                _ => werr(source),
            })?;
        return f
            .write_all(contents)
            .and_then(|_| f.sync_all())
            .map_err(werr);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.keyward-{}.tmp", std::process::id()));
    let result = private_options()
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(contents).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(werr)
}

fn private_options() -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".env");
        write_private(&p, b"A=1\n", false).unwrap();
        assert!(matches!(
            write_private(&p, b"A=2\n", false),
            Err(Error::Exists { .. })
        ));
        write_private(&p, b"A=3\n", true).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "A=3\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn load_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".env");
        std::fs::write(&p, "A=1\nbroken\n").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains(".env:2:7: expected `=`"), "{e}");
    }
}
