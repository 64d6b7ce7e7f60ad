//! [`StorePool`]: store handles shared by the blocking pool — one for writes, a few for
//! reads (SQLite WAL readers or PostgreSQL connections) — reopened after a connection
//! failure, so a database that went away and came back is used again without a restart.

use super::{backend_error, BackendError};
use keyward_store::{ErrorKind, Store, StoreError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Opens a store handle (a new database connection, unsealed with the master key).
pub type Opener = Box<dyn Fn() -> Result<Store, StoreError> + Send + Sync>;

/// Store handles for concurrent requests.
pub struct StorePool {
    open: Opener,
    writer: Mutex<Option<Store>>,
    readers: Vec<Mutex<Option<Store>>>,
    next: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StorePool {
    /// A pool with one writer and `readers` read handles (at least one). The writer is
    /// opened now, so a wrong key or an unreachable database fails at start; readers open
    /// on first use.
    pub fn new(open: Opener, readers: usize) -> Result<StorePool, StoreError> {
        let writer = open()?;
        Ok(StorePool {
            open,
            writer: Mutex::new(Some(writer)),
            readers: (0..readers.max(1)).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        })
    }

    /// How many store handles requests share (the readers and the writer).
    pub fn handles(&self) -> usize {
        self.readers.len() + 1
    }

    /// A new store handle of the caller's own (e.g. for long operations that must not
    /// hold the shared write handle, such as a rotation talking to its target).
    pub fn open_handle(&self) -> Result<Store, StoreError> {
        (self.open)()
    }

    /// Run `f` on the write handle (every write and every audit batch).
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, BackendError> {
        self.run(&mut lock(&self.writer), f)
    }

    /// Run `f` on a read handle: a free one if any, else the next in turn.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, BackendError> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.readers.len();
        for i in 0..n {
            if let Ok(mut guard) = self.readers[(start + i) % n].try_lock() {
                return self.run(&mut guard, f);
            }
        }
        self.run(&mut lock(&self.readers[start % n]), f)
    }

    fn run<T>(
        &self,
        slot: &mut Option<Store>,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, BackendError> {
        if slot.is_none() {
            *slot = Some((self.open)().map_err(unavailable)?);
        }
        let store = slot.as_mut().expect("opened above");
        let result = f(store);
        if let Err(e) = &result {
            if matches!(e.kind(), ErrorKind::Backend | ErrorKind::Rekeyed) {
                // The connection may be dead (or the key stale): reconnect next time.
                *slot = None;
            }
        }
        result.map_err(backend_error)
    }
}

fn unavailable(e: StoreError) -> BackendError {
    BackendError::Unavailable(e.to_string())
}
