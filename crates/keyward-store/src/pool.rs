//! [`StorePool`]: several open [`Store`] handles (one database connection each) shared by
//! threads, so concurrent readers do not wait for one another.
//!
//! SQLite (WAL) lets readers run beside the one writer; PostgreSQL serves each connection
//! in its own backend process. Writes still serialize where they must (on the audit
//! chain's head), inside the database. Handles are opened lazily up to `max`, each with
//! the master key checked; a handle whose connection broke is dropped when returned, and
//! the next checkout opens a fresh one.

use crate::crypto::Key;
use crate::error::{ErrorKind, Result, StoreError};
use crate::location::Location;
use crate::model::Actor;
use crate::store::Store;
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A bounded pool of open stores on one [`Location`].
pub struct StorePool {
    location: Location,
    kek: Key,
    actor: Actor,
    max: usize,
    wait: Duration,
    state: Mutex<State>,
    freed: Condvar,
}

struct State {
    idle: Vec<Store>,
    /// Handles in existence (idle, checked out, or being opened).
    open: usize,
}

impl std::fmt::Debug for StorePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorePool")
            .field("location", &self.location)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl StorePool {
    /// Open one store at `location` with `kek` now (so a wrong key or a missing store fails
    /// here, [`Store::open`]'s errors) and allow up to `max` (at least 1) connections.
    /// Handles act as the OS user unless [`StorePool::with_actor`] says otherwise.
    pub fn open(location: Location, kek: Key, max: usize) -> Result<StorePool> {
        let first = Store::open(location.open(false)?, kek.duplicate())?;
        Ok(StorePool {
            actor: first.actor().clone(),
            location,
            kek,
            max: max.max(1),
            wait: Duration::from_secs(30),
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
            }),
            freed: Condvar::new(),
        })
    }

    /// Every handle acts as `actor` when checked out (a handle's own
    /// [`Store::set_actor`] lasts until it is returned).
    pub fn with_actor(mut self, actor: Actor) -> StorePool {
        self.actor = actor.clone();
        for s in &mut self.state.get_mut().unwrap_or_else(|e| e.into_inner()).idle {
            s.set_actor(actor.clone());
        }
        self
    }

    /// How long [`StorePool::get`] waits for a free handle when all `max` are in use
    /// before failing with [`ErrorKind::Backend`] (default 30 s).
    pub fn with_wait(mut self, wait: Duration) -> StorePool {
        self.wait = wait;
        self
    }

    /// The largest number of handles.
    pub fn max(&self) -> usize {
        self.max
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match self.location {
            Location::Sqlite(_) => "sqlite",
            Location::Postgres { .. } => "postgres",
        }
    }

    /// A handle for this thread: an idle one, a newly opened one while fewer than `max`
    /// exist, else the next one returned (waiting at most the pool's wait).
    pub fn get(&self) -> Result<PooledStore<'_>> {
        let deadline = std::time::Instant::now() + self.wait;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(store) = state.idle.pop() {
                return Ok(self.lend(store));
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(store) => Ok(self.lend(store)),
                    Err(e) => {
                        self.forget_one();
                        Err(e)
                    }
                };
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(StoreError::new(
                    ErrorKind::Backend,
                    format!(
                        "all {} store connections are busy (waited {:?})",
                        self.max, self.wait
                    ),
                ));
            }
            state = self
                .freed
                .wait_timeout(state, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn connect(&self) -> Result<Store> {
        let mut store = Store::open(self.location.open(false)?, self.kek.duplicate())?;
        store.set_actor(self.actor.clone());
        Ok(store)
    }

    fn lend(&self, store: Store) -> PooledStore<'_> {
        PooledStore {
            pool: self,
            store: Some(store),
        }
    }

    fn forget_one(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.open -= 1;
        drop(state);
        self.freed.notify_one();
    }

    fn give_back(&self, mut store: Store) {
        if !store.backend.is_healthy() {
            drop(store);
            self.forget_one();
            return;
        }
        store.set_actor(self.actor.clone());
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.idle.push(store);
        drop(state);
        self.freed.notify_one();
    }
}

/// A store checked out of a [`StorePool`]; returned to it when dropped.
pub struct PooledStore<'a> {
    pool: &'a StorePool,
    store: Option<Store>,
}

impl std::fmt::Debug for PooledStore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PooledStore").field(&self.store).finish()
    }
}

impl PooledStore<'_> {
    /// Close this handle's connection instead of returning it (after an error that may
    /// have left the connection in a bad state).
    pub fn discard(mut self) {
        self.store.take();
        self.pool.forget_one();
    }
}

impl Deref for PooledStore<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.store.as_ref().expect("present until dropped")
    }
}

impl DerefMut for PooledStore<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        self.store.as_mut().expect("present until dropped")
    }
}

impl Drop for PooledStore<'_> {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            self.pool.give_back(store);
        }
    }
}
