//! Progress on stderr for long scans: only on a terminal, never in pipes or CI logs.

use keyward_scan::ScanStats;
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

/// A running progress line; dropping it (or [`Progress::finish`]) clears the line.
pub struct Progress {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<thread::JoinHandle<()>>,
}

/// Whether progress may be shown at all.
pub fn enabled(disabled_by_flag: bool) -> bool {
    !disabled_by_flag && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

impl Progress {
    /// Start reporting `stats` after a short delay, if `on`.
    pub fn start(stats: Arc<ScanStats>, on: bool) -> Progress {
        if !on {
            return Progress {
                stop: None,
                handle: None,
            };
        }
        let (tx, rx) = mpsc::channel::<()>();
        let handle = thread::spawn(move || {
            if rx.recv_timeout(Duration::from_millis(400)).is_ok() {
                return;
            }
            let mut err = std::io::stderr();
            loop {
                let _ = write!(
                    err,
                    "\r\x1b[2Kscanning: {} files, {}, {} findings",
                    stats.files.load(Ordering::Relaxed),
                    keyward_report::human::human_bytes(stats.bytes.load(Ordering::Relaxed)),
                    stats.findings.load(Ordering::Relaxed)
                );
                let _ = err.flush();
                if rx.recv_timeout(Duration::from_millis(200)).is_ok() {
                    let _ = write!(err, "\r\x1b[2K");
                    let _ = err.flush();
                    return;
                }
            }
        });
        Progress {
            stop: Some(tx),
            handle: Some(handle),
        }
    }

    /// Stop and clear the line.
    pub fn finish(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_now();
    }
}
