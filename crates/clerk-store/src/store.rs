//! The token store contract, and the store that keeps the state in memory.

use std::sync::{Arc, Mutex, MutexGuard};

use clerk_core::PersistedState;
use clerk_core::secret::ClientToken;

use crate::error::StoreError;

/// Where a driver keeps the engine's [`PersistedState`] (the client token, the last
/// client, the environment) between runs.
///
/// A driver [`load`](Self::load)s once before `Client::restore`, and
/// [`save`](Self::save)s the engine's `export()` whenever what a restart must find
/// changes: the client token (`Event::ClientTokenChanged`), the sessions, the active
/// session, a sign-out. A save that failed is tried again before the next call. [`clear`](Self::clear) forgets
/// the identity (after `destroy`, or to sign out for good).
///
/// Object-safe and `Send + Sync`: drivers hold an `Arc<dyn TokenStore>`.
///
/// A store of your own that wraps another (to log, to encrypt) forwards every method,
/// the provided ones included: [`peek`](Self::peek) and [`client_token`](Self::client_token)
/// above all. Their defaults load the whole state, and a [`FileStore`](crate::FileStore)
/// counts a load as having seen the newest state: a wrapper that leaves them out loses
/// the file store's conflict detection (another process's sign-out goes unnoticed and is
/// overwritten at the next save). [`frontend_api_host`](Self::frontend_api_host) and
/// [`may_block`](Self::may_block) likewise.
pub trait TokenStore: Send + Sync {
    /// The stored state, `None` when nothing is stored (or it was cleared).
    ///
    /// # Errors
    /// [`StoreError`]; an unreadable store is an error, never silently `None`.
    fn load(&self) -> Result<Option<PersistedState>, StoreError>;

    /// Stores `state`, replacing what is stored.
    ///
    /// # Errors
    /// [`StoreError`]; a store shared between processes refuses to overwrite a newer
    /// state with [`StoreError::Conflict`].
    fn save(&self, state: &PersistedState) -> Result<(), StoreError>;

    /// Forgets the stored state. Succeeds when nothing was stored.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be written.
    fn clear(&self) -> Result<(), StoreError>;

    /// The stored client token only: what a driver checks before each call to notice
    /// another process's rotation. The default loads the whole state; a store that can
    /// answer more cheaply overrides it.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    fn client_token(&self) -> Result<Option<ClientToken>, StoreError> {
        Ok(self.load()?.and_then(|state| state.client_token))
    }

    /// What a driver checks before each call to notice another process's change: the
    /// stored client token and, from a store that counts its writes, whether another
    /// process wrote since this store last loaded or wrote. The second matters because a
    /// sign-out elsewhere keeps the client token: [`FileStore`](crate::FileStore) tells
    /// it from its generation count. The default reads
    /// [`client_token`](Self::client_token) and cannot tell (`changed_elsewhere: false`),
    /// so only a changed token is noticed, as with [`MemoryStore`], which keeps one state
    /// for every driver sharing it.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    fn peek(&self) -> Result<StorePeek, StoreError> {
        Ok(StorePeek { client_token: self.client_token()?, changed_elsewhere: false })
    }

    /// Whether a call may keep its thread waiting: on a disk, on a lock another process
    /// holds, on a network. The async driver makes the calls of a store that may block on
    /// tokio's blocking thread pool, so that a slow disk never stalls the application's other
    /// tasks, and those of a store that does not in its own task, with no hand-off between
    /// threads per call. The blocking driver makes every call on the calling thread,
    /// whatever this says.
    ///
    /// The default, `true`, is the safe answer for a store of your own: one that blocks but
    /// says it does not holds a runtime thread (and every task waiting for it) for as long as
    /// each call takes, while one that never blocks but says it may only pays a hand-off per
    /// call. Answer `false` only when every method returns at once, as [`MemoryStore`]'s do
    /// (memory behind a lock held for a copy). A driver may ask once or before every call:
    /// answer the same each time.
    fn may_block(&self) -> bool {
        true
    }

    /// The Frontend API host whose client state this store keeps, for a store that keeps
    /// one host's only: [`FileStore`](crate::FileStore) gives the host it was built for.
    /// `None`, the default, for a store that keeps whatever state it is given, as
    /// [`MemoryStore`] does.
    ///
    /// The drivers compare it with their configuration's
    /// [`frontend_api_host`](clerk_core::ClientConfig::frontend_api_host) when they are
    /// built, and refuse a store for another host (`DriverError::Config`, before anything
    /// is read or sent) rather than find out at the first save, after a sign-in the server
    /// has already accepted.
    fn frontend_api_host(&self) -> Option<&str> {
        None
    }
}

/// What a store holds, as a driver checks it before each call ([`TokenStore::peek`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePeek {
    /// The stored client token (`None`: none stored, or cleared).
    pub client_token: Option<ClientToken>,
    /// Whether another process wrote the store since this store last loaded or wrote it
    /// (a sign-out elsewhere, which keeps the token). `false` from a store that cannot
    /// tell.
    pub changed_elsewhere: bool,
}

impl<T: TokenStore + ?Sized> TokenStore for Arc<T> {
    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        (**self).load()
    }

    fn peek(&self) -> Result<StorePeek, StoreError> {
        (**self).peek()
    }

    fn may_block(&self) -> bool {
        (**self).may_block()
    }

    fn frontend_api_host(&self) -> Option<&str> {
        (**self).frontend_api_host()
    }

    fn client_token(&self) -> Result<Option<ClientToken>, StoreError> {
        (**self).client_token()
    }

    fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        (**self).save(state)
    }

    fn clear(&self) -> Result<(), StoreError> {
        (**self).clear()
    }
}

impl<T: TokenStore + ?Sized> TokenStore for Box<T> {
    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        (**self).load()
    }

    fn peek(&self) -> Result<StorePeek, StoreError> {
        (**self).peek()
    }

    fn may_block(&self) -> bool {
        (**self).may_block()
    }

    fn frontend_api_host(&self) -> Option<&str> {
        (**self).frontend_api_host()
    }

    fn client_token(&self) -> Result<Option<ClientToken>, StoreError> {
        (**self).client_token()
    }

    fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        (**self).save(state)
    }

    fn clear(&self) -> Result<(), StoreError> {
        (**self).clear()
    }
}

/// A [`TokenStore`] in memory: for tests, and for apps that must not write the token to
/// disk (the identity then lasts as long as the process). Never fails, and never blocks
/// ([`may_block`](TokenStore::may_block) is `false`): the async driver calls it in its own
/// task.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<Option<PersistedState>>,
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `state`.
    #[must_use]
    pub fn with_state(state: PersistedState) -> Self {
        MemoryStore { state: Mutex::new(Some(state)) }
    }

    fn slot(&self) -> MutexGuard<'_, Option<PersistedState>> {
        // A panic elsewhere while holding the lock cannot leave a half-written Option.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        Ok(self.slot().clone())
    }

    fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        *self.slot() = Some(state.clone());
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        *self.slot() = None;
        Ok(())
    }

    fn client_token(&self) -> Result<Option<ClientToken>, StoreError> {
        Ok(self.slot().as_ref().and_then(|state| state.client_token.clone()))
    }

    /// `false`: every call is a copy in memory, under a lock held only for that copy.
    fn may_block(&self) -> bool {
        false
    }
}
