//! The typed errors of the token stores and the transcripts.

use std::io;
use std::path::PathBuf;

use clerk_core::PersistedState;

/// Why a [`TokenStore`](crate::TokenStore) operation failed.
///
/// Whatever the error, the stored state is as it was before the call: a store never
/// overwrites what it cannot read or what is newer than what it knows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another process saved a newer state (or cleared the store) since this store last
    /// loaded or saved: saving would have overwritten a rotated client token with a stale
    /// one, so nothing was written.
    ///
    /// `on_disk` is what is stored now (`None` when it was cleared). Restore the engine
    /// from it (`Client::restore`) or start afresh; the store now counts that state as
    /// loaded, so the next save succeeds.
    #[error("a newer client state (generation {generation}) was saved by another process; nothing was written")]
    Conflict {
        /// The newer state on disk, `None` when the store was cleared.
        on_disk: Option<Box<PersistedState>>,
        /// Its generation.
        generation: u64,
    },
    /// The store file is not a state this build can read (not JSON, another format, an
    /// unknown version). It was left untouched; only `clear()` or `replace()` overwrite it.
    #[error("{} is not a client state this build can read: {reason}; the file was left untouched", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (never the file's content).
        reason: String,
    },
    /// The store file holds the client state of another Frontend API host than the one
    /// this store is for (and its driver talks to): a token for one instance never goes to
    /// another. Nothing was read or written; the file was left as it is. Only `clear()` or
    /// `replace()` overwrite it; delete it to start afresh.
    #[error(
        "{} holds the client state of Frontend API host {found:?}, but this store is for {expected:?}, \
         the host its driver talks to; nothing was read or written. \
         To start afresh for {expected:?}, delete that file",
        path.display()
    )]
    ForeignHost {
        /// The file.
        path: PathBuf,
        /// The host this store is for.
        expected: String,
        /// The host the state in the file belongs to.
        found: String,
    },
    /// The state handed to `save` or `replace` belongs to another Frontend API host than the
    /// one this store is for: the driver (or engine) saving it talks to `state_host`, but
    /// the store was built for `store_host`. Nothing was written. Build the store from the
    /// driver's configuration ([`FileStore::for_config`](crate::FileStore::for_config)); the
    /// drivers refuse such a store when they are built, before anything is sent.
    #[error(
        "the client state to save belongs to Frontend API host {state_host:?}, the host the driver talks to, \
         but this store keeps the state of {store_host:?}; nothing was written. \
         Build the store from the driver's configuration: `FileStore::for_config(dir, &config)`"
    )]
    StateForAnotherHost {
        /// The host this store is for.
        store_host: String,
        /// The host the state belongs to (the one the engine that exported it talks to).
        state_host: String,
    },
    /// A place the store would read or write is not private to this user (Unix): a
    /// directory others can write to, a file or directory another user owns, a state file
    /// others can write, or a symbolic link where the store keeps a file of its own.
    /// Someone else could have planted a client token there (and would then share the
    /// session signed in on it), so nothing was read or written.
    #[error("{} is not private to this user: {reason}; nothing was read or written", path.display())]
    NotPrivate {
        /// The directory or file.
        path: PathBuf,
        /// What is wrong with it (and how to fix it).
        reason: String,
    },
    /// Another process held the store's lock for longer than this store waits
    /// ([`FileStore::lock_timeout`](crate::FileStore::lock_timeout)). Nothing was read or
    /// written; the operation can be tried again. A process that keeps the lock this long
    /// is stopped or stuck (a write holds it for milliseconds).
    #[error("{} is locked by another process (waited {} ms); nothing was read or written", path.display(), waited.as_millis())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// How long this store waited for it.
        waited: std::time::Duration,
    },
    /// A host or application name that cannot be used as a file name (empty, `.`/`..`,
    /// a path separator, a control character, too long).
    #[error("{name:?} cannot name a store file: {reason}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The environment names no configuration directory (no `HOME`, `XDG_CONFIG_HOME` or
    /// `APPDATA` as the platform needs).
    #[error("the environment names no configuration directory")]
    NoConfigDir,
    /// The file system refused an operation.
    #[error("could not {operation} {}: {source}", path.display())]
    Io {
        /// What the store was doing (`"read"`, `"write"`, `"lock"`, …).
        operation: &'static str,
        /// The path it was doing it to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl StoreError {
    pub(crate) fn io(operation: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { operation, path, source }
    }
}

/// Why a transcript could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TranscriptError {
    /// The transcript file could not be opened or created.
    #[error("could not open transcript {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// Writing or reading the transcript failed.
    #[error("transcript i/o error: {0}")]
    Io(#[source] io::Error),
    /// A line is not a transcript entry.
    #[error("transcript line {}: {reason}", line.map_or_else(|| String::from("?"), |n| n.to_string()))]
    Malformed {
        /// The 1-based line number, when reading a file.
        line: Option<usize>,
        /// What is wrong with it.
        reason: String,
    },
}
