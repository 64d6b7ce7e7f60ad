//! A throw-away git repository driven with the git CLI (tests only).

use std::path::{Path, PathBuf};
use std::process::Command;

/// A repository in a temporary directory with a fixed identity and no global config.
pub struct Repo {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
}

impl Repo {
    /// `git init -b main` with a fixed author.
    pub fn new() -> Repo {
        let r = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        r.git(&["init", "-q", "-b", "main"]);
        r
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A git command in the repository with a clean, fixed environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("git");
        c.args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ann Dev")
            .env("GIT_AUTHOR_EMAIL", "ann@example.com")
            .env("GIT_COMMITTER_NAME", "Ann Dev")
            .env("GIT_COMMITTER_EMAIL", "ann@example.com")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE");
        c
    }

    /// Run git and return its trimmed stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Write a file (creating directories).
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Stage everything and commit; returns the commit id.
    pub fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

/// A Stripe live secret key that the scanner reports (fake; `n` makes it unique).
pub fn stripe_key(n: u32) -> String {
    format!("sk_live_51HqLyjWDarjtT1zdp7dcXq9b{n:04}R8vT2")
}
