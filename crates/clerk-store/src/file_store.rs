//! The token store that keeps one file per Frontend API host, safe against crashes and
//! against a second process.
//!
//! ## The file
//!
//! `<dir>/client-<host>.json`, where `<host>` is the Frontend API host with every byte
//! outside `a-z 0-9 . -` written as `_XX` (so `localhost:3000` is `localhost_3A3000`, and
//! two hosts never share a file, even on a case-insensitive file system):
//!
//! ```json
//! {"format_version":1,"frontend_api_host":"clerk.example.com","generation":7,"state":{…}}
//! ```
//!
//! `state` is the engine's [`PersistedState::to_json`] (client token in clear, hence mode
//! `0600`), or `null` once [`clear`](crate::TokenStore::clear)ed. `generation` grows by one
//! with every write and never goes back, not even across a clear.
//!
//! ## Privacy (Unix)
//!
//! The store reads and writes only where no other user could have put a state of their
//! own: its directory must not be writable by group or others and must belong to this
//! user, the state file must belong to this user and not be writable by others, and
//! neither it nor the lock file may be a symbolic link. Anything else is
//! [`StoreError::NotPrivate`], with nothing read or written: a planted state would sign
//! this program in to a client whose token someone else knows.
//!
//! ## Writes
//!
//! Every write goes to a temporary file in the same directory (`.client-<host>.json.<pid>.<n>.tmp`,
//! created `0600`), is flushed to disk, renamed over the real file, and the directory is
//! flushed too. A reader sees the old file or the new one, never part of one; a crash
//! leaves at most a temporary file, which readers ignore and the next write removes.
//!
//! ## Two processes
//!
//! Every read-modify-write holds an exclusive advisory lock on the sibling file
//! `client-<host>.lock` (loads hold it shared). The lock file is never deleted: deleting a
//! lock file lets two processes lock two different files. Each [`FileStore`] remembers the
//! generation it last loaded or wrote; a save that finds a newer generation on disk is
//! refused with [`StoreError::Conflict`], carrying the newer state, instead of overwriting
//! a token another process has rotated since.
//!
//! A lock is waited for at most [`lock_timeout`](FileStore::lock_timeout)
//! ([`DEFAULT_LOCK_TIMEOUT`] unless [set](FileStore::with_lock_timeout)): a process that
//! holds it far longer than a write takes (stopped in a debugger, suspended, or a lock
//! left on a network file system) gives [`StoreError::Locked`] with nothing read or
//! written, not a caller that waits for ever.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use clerk_core::secret::ClientToken;
use clerk_core::{ClientConfig, PersistedState, RestoreError};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::StoreError;
use crate::store::{StorePeek, TokenStore};

/// The version of the store file format this build writes and reads.
pub const STORE_FORMAT_VERSION: u32 = 1;

/// Files larger than this are not a client state (the biggest real ones are tens of KiB).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The longest encoded host accepted, leaving room for prefix and suffixes within the
/// usual 255-byte limit on a file name.
const MAX_STEM_BYTES: usize = 200;

/// How long a [`FileStore`] waits, unless [told otherwise](FileStore::with_lock_timeout),
/// for another process to release the store's lock before giving up with
/// [`StoreError::Locked`]. A write holds the lock for one small file write and two
/// flushes to disk, milliseconds even on a slow disk; ten seconds is far beyond that and
/// still short enough for a person waiting on a command.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest pause between two attempts to take a lock another process holds.
const LOCK_RETRY_PAUSE_MAX: Duration = Duration::from_millis(50);

/// Numbers temporary files within this process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

#[derive(Serialize)]
struct StoreFileOut<'a> {
    format_version: u32,
    frontend_api_host: &'a str,
    generation: u64,
    state: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct StoreFileIn {
    frontend_api_host: String,
    generation: u64,
    state: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct FormatProbe {
    #[serde(default)]
    format_version: Option<u32>,
}

#[derive(Deserialize)]
struct GenerationProbe {
    #[serde(default)]
    generation: Option<u64>,
}

/// What a read of the store file found.
enum OnDisk {
    /// No file.
    Missing,
    /// A readable file for this host.
    Present { generation: u64, state: Option<Box<PersistedState>> },
}

/// A [`TokenStore`] keeping one file per Frontend API host in a directory: atomic
/// writes, mode `0600`, an advisory lock, and refusal to overwrite a newer token written
/// by another process (see the [module docs](self) for the file and the protocol).
///
/// A file that cannot be read (corrupt, another format version, another host) is a typed
/// error and is never overwritten by [`save`](TokenStore::save); only
/// [`clear`](TokenStore::clear) and [`replace`](Self::replace) overwrite it.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
    host: String,
    path: PathBuf,
    lock_path: PathBuf,
    file_name: String,
    /// The generation this store last loaded or wrote; `None` before it saw a file.
    /// Held across every operation, so threads sharing one store take turns.
    known_generation: Mutex<Option<u64>>,
    /// How long to wait for another process's lock.
    lock_timeout: Duration,
}

/// Holds an advisory lock until dropped.
struct FileLock(File);

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first is just explicit.
        let _ = self.0.unlock();
    }
}

impl FileStore {
    /// A store for the Frontend API host `config` talks to, in `dir`: the store a driver
    /// built from `config` needs. Prefer it to [`new`](Self::new), which takes the host
    /// separately and so can be given another one than the driver's (the drivers refuse
    /// such a store when they are built).
    ///
    /// ```
    /// use clerk_core::ClientConfig;
    /// use clerk_store::FileStore;
    /// # let dir = std::env::temp_dir().join(format!("clerk-doc-for-config-{}", std::process::id()));
    ///
    /// let config = ClientConfig::from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk")?;
    /// let store = FileStore::for_config(&dir, &config)?;
    /// assert_eq!(store.frontend_api_host(), "foo-bar-13.clerk.accounts.dev");
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn for_config(dir: impl Into<PathBuf>, config: &ClientConfig) -> Result<Self, StoreError> {
        FileStore::new(dir, config.frontend_api_host())
    }

    /// A store for `frontend_api_host` in `dir`, creating `dir` (mode `0700` on Unix for
    /// the directories it creates; an existing directory is left as it is). No state is
    /// read yet.
    ///
    /// The host must be the one the driver's configuration names
    /// ([`ClientConfig::frontend_api_host`]: `127.0.0.1:3000` for a local mock at
    /// `http://127.0.0.1:3000`, not `localhost`, nor the URL); [`for_config`](Self::for_config)
    /// takes it from the configuration. A driver refuses a store for another host when it is
    /// built.
    ///
    /// # Errors
    /// [`StoreError::InvalidName`] for a host that cannot name a file inside `dir`
    /// (empty, `.`/`..`, a URL, a path separator, a control character, too long),
    /// [`StoreError::Io`] when `dir` cannot be created, and (Unix)
    /// [`StoreError::NotPrivate`] for a directory other users can write to or another user
    /// owns: anyone who can put a state file there could sign this program in to a client
    /// whose token they know.
    pub fn new(dir: impl Into<PathBuf>, frontend_api_host: &str) -> Result<Self, StoreError> {
        let dir = dir.into();
        let stem = encode_host(frontend_api_host)?;
        create_private_dir(&dir)?;
        check_private_dir(&dir)?;
        let file_name = format!("client-{stem}.json");
        Ok(FileStore {
            path: dir.join(&file_name),
            lock_path: dir.join(format!("client-{stem}.lock")),
            file_name,
            dir,
            host: frontend_api_host.to_owned(),
            known_generation: Mutex::new(None),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        })
    }

    /// The same store, waiting at most `timeout` for another process to release the
    /// store's lock ([`DEFAULT_LOCK_TIMEOUT`] otherwise). `Duration::ZERO` tries once.
    ///
    /// ```
    /// use std::time::Duration;
    /// # let dir = std::env::temp_dir().join(format!("clerk-doc-lock-{}", std::process::id()));
    /// let store = clerk_store::FileStore::new(&dir, "clerk.example.com")?
    ///     .with_lock_timeout(Duration::from_secs(2));
    /// assert_eq!(store.lock_timeout(), Duration::from_secs(2));
    /// # std::fs::remove_dir_all(&dir).ok();
    /// # Ok::<(), clerk_store::StoreError>(())
    /// ```
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// How long this store waits for another process to release the store's lock before
    /// an operation fails with [`StoreError::Locked`].
    #[must_use]
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// The file holding the state.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sibling file whose advisory lock guards every read-modify-write.
    #[must_use]
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The directory of the store.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The Frontend API host this store is for. (As a [`TokenStore`], the store gives it
    /// as `Some` from [`TokenStore::frontend_api_host`], which the drivers compare with
    /// their configuration's when they are built.)
    #[must_use]
    pub fn frontend_api_host(&self) -> &str {
        &self.host
    }

    /// The generation this store last loaded or wrote, `None` before it saw a file.
    #[must_use]
    pub fn generation(&self) -> Option<u64> {
        *self.known()
    }

    /// Writes `state` whatever state is on disk: a newer one, a corrupt file, a file for
    /// another host. For a deliberate reset ("use this token"); drivers call
    /// [`save`](TokenStore::save).
    ///
    /// # Errors
    /// [`StoreError::StateForAnotherHost`] when `state` is for another host (nothing written),
    /// [`StoreError::NotPrivate`] when the file in its place is not private to this user
    /// (a symbolic link, another user's, writable by others: nothing written; remove it
    /// first), and [`StoreError::Io`].
    pub fn replace(&self, state: &PersistedState) -> Result<(), StoreError> {
        self.check_host(state)?;
        let mut known = self.known();
        let _lock = self.lock(true)?;
        let next = self.probe_generation()?.max(known.unwrap_or(0)).saturating_add(1);
        self.write(next, Some(state))?;
        *known = Some(next);
        Ok(())
    }

    fn known(&self) -> MutexGuard<'_, Option<u64>> {
        // A panic while holding the guard leaves a valid number behind.
        self.known_generation.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn check_host(&self, state: &PersistedState) -> Result<(), StoreError> {
        if state.frontend_api_host == self.host {
            Ok(())
        } else {
            Err(StoreError::StateForAnotherHost {
                store_host: self.host.clone(),
                state_host: state.frontend_api_host.clone(),
            })
        }
    }

    fn lock(&self, exclusive: bool) -> Result<FileLock, StoreError> {
        refuse_symlink(&self.lock_path)?;
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&self.lock_path).map_err(StoreError::io("open", &self.lock_path))?;
        // Polled rather than a blocking `lock()`: the platforms' lock calls take no time
        // limit, and one process that never lets go must not hang every other one.
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        loop {
            let attempt = if exclusive { file.try_lock() } else { file.try_lock_shared() };
            match attempt {
                Ok(()) => return Ok(FileLock(file)),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(error)) => return Err(StoreError::io("lock", &self.lock_path)(error)),
            }
            let waited = started.elapsed();
            let Some(left) = self.lock_timeout.checked_sub(waited).filter(|left| !left.is_zero()) else {
                return Err(StoreError::Locked { path: self.lock_path.clone(), waited });
            };
            std::thread::sleep(pause.min(left));
            pause = (pause * 2).min(LOCK_RETRY_PAUSE_MAX);
        }
    }

    /// The raw bytes of the store file, `None` when there is none.
    fn read_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        refuse_symlink(&self.path)?;
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(StoreError::io("open", &self.path)(error)),
        };
        let metadata = file.metadata().map_err(StoreError::io("read", &self.path))?;
        if !metadata.is_file() {
            return Err(self.corrupt("not a regular file"));
        }
        check_private_file(&self.path, &metadata)?;
        if metadata.len() > MAX_FILE_BYTES {
            return Err(self.corrupt(format!("{} bytes, larger than any client state", metadata.len())));
        }
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).map_err(StoreError::io("read", &self.path))?;
        Ok(Some(bytes))
    }

    fn corrupt(&self, reason: impl Into<String>) -> StoreError {
        StoreError::Corrupt { path: self.path.clone(), reason: reason.into() }
    }

    /// The file holds the state of `found`, another host.
    fn foreign(&self, found: String) -> StoreError {
        StoreError::ForeignHost { path: self.path.clone(), expected: self.host.clone(), found }
    }

    /// Reads and checks the store file. Error reasons name positions and categories,
    /// never content: the file holds a token.
    fn read(&self) -> Result<OnDisk, StoreError> {
        let Some(bytes) = self.read_bytes()? else {
            return Ok(OnDisk::Missing);
        };
        let probe: FormatProbe = serde_json::from_slice(&bytes).map_err(|e| self.corrupt(json_problem(&e)))?;
        match probe.format_version {
            Some(STORE_FORMAT_VERSION) => {}
            Some(other) => {
                return Err(
                    self.corrupt(format!("store format version {other}, this build reads {STORE_FORMAT_VERSION}"))
                );
            }
            None => return Err(self.corrupt("no format_version: not a client state file")),
        }
        let file: StoreFileIn = serde_json::from_slice(&bytes).map_err(|e| self.corrupt(json_problem(&e)))?;
        if file.frontend_api_host != self.host {
            return Err(self.foreign(file.frontend_api_host));
        }
        let state = match file.state {
            None => None,
            Some(raw) => {
                let state = PersistedState::from_json(raw.get().as_bytes()).map_err(|error| match error {
                    RestoreError::UnsupportedVersion { found, supported } => {
                        self.corrupt(format!("client state version {found}, this build reads {supported}"))
                    }
                    _ => match serde_json::from_str::<PersistedState>(raw.get()) {
                        Err(e) => self.corrupt(format!("malformed client state: {}", json_problem(&e))),
                        Ok(_) => self.corrupt("malformed client state"),
                    },
                })?;
                if state.frontend_api_host != self.host {
                    return Err(self.foreign(state.frontend_api_host));
                }
                Some(Box::new(state))
            }
        };
        Ok(OnDisk::Present { generation: file.generation, state })
    }

    /// The generation written in the file, read leniently (the file may be corrupt or
    /// foreign): 0 when there is none.
    fn probe_generation(&self) -> Result<u64, StoreError> {
        Ok(self
            .read_bytes()?
            .and_then(|bytes| serde_json::from_slice::<GenerationProbe>(&bytes).ok())
            .and_then(|probe| probe.generation)
            .unwrap_or(0))
    }

    /// Writes the file atomically. Call with the exclusive lock held.
    fn write(&self, generation: u64, state: Option<&PersistedState>) -> Result<(), StoreError> {
        let encode_failed = || StoreError::Io {
            operation: "encode",
            path: self.path.clone(),
            source: io::Error::other("JSON encoding"),
        };
        let raw = match state {
            None => None,
            Some(state) => {
                let text = String::from_utf8(state.to_json()).map_err(|_| encode_failed())?;
                Some(RawValue::from_string(text).map_err(|_| encode_failed())?)
            }
        };
        let contents = serde_json::to_vec(&StoreFileOut {
            format_version: STORE_FORMAT_VERSION,
            frontend_api_host: &self.host,
            generation,
            state: raw.as_deref(),
        })
        .map_err(|_| encode_failed())?;
        self.remove_leftover_temp_files();
        let temp_path = self.dir.join(format!(
            ".{}.{}.{}.tmp",
            self.file_name,
            std::process::id(),
            TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = write_synced(&temp_path, &contents)
            .and_then(|()| fs::rename(&temp_path, &self.path).map_err(StoreError::io("rename", &temp_path)));
        if written.is_err() {
            let _ = fs::remove_file(&temp_path);
        }
        written?;
        sync_dir(&self.dir)
    }

    /// Removes temporary files a crashed writer left behind. Writers hold the exclusive
    /// lock while their temporary file exists, so under the lock every one is a leftover.
    fn remove_leftover_temp_files(&self) {
        let prefix = format!(".{}.", self.file_name);
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Exactly `<prefix><pid>.<counter>.tmp`: another host's file name can start with
            // this one's (`h.example` and `h.example.json.x`), and its temporary files are
            // guarded by its own lock.
            let ours = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .and_then(|rest| rest.split_once('.'))
                .is_some_and(|(pid, counter)| is_digits(pid) && is_digits(counter));
            if ours {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

impl TokenStore for FileStore {
    /// `Some` of the host this store is for: the drivers refuse it when their
    /// configuration talks to another.
    fn frontend_api_host(&self) -> Option<&str> {
        Some(&self.host)
    }

    fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        let mut known = self.known();
        let _lock = self.lock(false)?;
        match self.read()? {
            OnDisk::Missing => Ok(None),
            OnDisk::Present { generation, state } => {
                *known = Some(generation);
                Ok(state.map(|state| *state))
            }
        }
    }

    /// The stored client token, read without counting as a load: a driver peeks at it
    /// before every call, and a newer state on disk that carries the same token (another
    /// process signed a session out) must still make this store's next save a
    /// [`StoreError::Conflict`] rather than be overwritten by an older state.
    fn client_token(&self) -> Result<Option<ClientToken>, StoreError> {
        let _lock = self.lock(false)?;
        match self.read()? {
            OnDisk::Missing | OnDisk::Present { state: None, .. } => Ok(None),
            OnDisk::Present { state: Some(state), .. } => Ok(state.client_token),
        }
    }

    /// The stored client token, and whether the file holds a newer generation than this
    /// store last loaded or wrote: another process saved (a sign-out keeps the token) or
    /// cleared it. Read without counting as a load, so this store's next save is still
    /// refused until it has loaded the newer state.
    fn peek(&self) -> Result<StorePeek, StoreError> {
        let known = self.known();
        let _lock = self.lock(false)?;
        match self.read()? {
            OnDisk::Missing => Ok(StorePeek { client_token: None, changed_elsewhere: false }),
            OnDisk::Present { generation, state } => Ok(StorePeek {
                client_token: state.and_then(|state| state.client_token),
                changed_elsewhere: generation > known.unwrap_or(0),
            }),
        }
    }

    /// Writes `state` unless the file holds a newer generation than this store last
    /// loaded or wrote ([`StoreError::Conflict`]), cannot be read
    /// ([`StoreError::Corrupt`]) or belongs to another host
    /// ([`StoreError::ForeignHost`]), or `state` belongs to another host than this store
    /// ([`StoreError::StateForAnotherHost`]); in every error case the file is untouched.
    fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        self.check_host(state)?;
        let mut known = self.known();
        let _lock = self.lock(true)?;
        let on_disk_generation = match self.read()? {
            OnDisk::Missing => 0,
            OnDisk::Present { generation, state: on_disk } => {
                if generation > known.unwrap_or(0) {
                    *known = Some(generation);
                    return Err(StoreError::Conflict { on_disk, generation });
                }
                generation
            }
        };
        let next = on_disk_generation.max(known.unwrap_or(0)).saturating_add(1);
        self.write(next, Some(state))?;
        *known = Some(next);
        Ok(())
    }

    /// Replaces the state with `null` under a new generation, so that another process
    /// still holding the old token gets [`StoreError::Conflict`] instead of bringing it
    /// back. Like [`save`](TokenStore::save), refuses with [`StoreError::Conflict`] when
    /// the file holds a newer state than this store last loaded or wrote (another process
    /// rotated the token: clearing would sign it out); a store that never loaded or wrote
    /// the file clears it whatever it holds, as a deliberate reset. Overwrites a corrupt
    /// or foreign file; does nothing when there is no file or it is already cleared.
    fn clear(&self) -> Result<(), StoreError> {
        let mut known = self.known();
        let _lock = self.lock(true)?;
        let on_disk_generation = match self.read() {
            Ok(OnDisk::Missing) => return Ok(()),
            Ok(OnDisk::Present { generation, state: None }) => {
                *known = Some(generation);
                return Ok(());
            }
            Ok(OnDisk::Present { generation, state: Some(on_disk) }) => {
                if known.is_some_and(|known| generation > known) {
                    *known = Some(generation);
                    return Err(StoreError::Conflict { on_disk: Some(on_disk), generation });
                }
                generation
            }
            Err(StoreError::Corrupt { .. } | StoreError::ForeignHost { .. }) => self.probe_generation()?,
            Err(error) => return Err(error),
        };
        let next = on_disk_generation.max(known.unwrap_or(0)).saturating_add(1);
        self.write(next, None)?;
        *known = Some(next);
        Ok(())
    }
}

/// Whether `text` is a non-empty run of ASCII digits.
fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

/// A short description of a JSON error: category and position, never content.
fn json_problem(error: &serde_json::Error) -> String {
    let category = match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "unexpected JSON",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{category} at line {} column {}", error.line(), error.column())
}

/// Refuses names that are not a single, ordinary path component.
pub(crate) fn check_component(name: &str) -> Result<(), StoreError> {
    let refuse = |reason| Err(StoreError::InvalidName { name: name.to_owned(), reason });
    if name.is_empty() {
        return refuse("empty");
    }
    if name == "." || name == ".." {
        return refuse("a relative path component");
    }
    if name.contains(['/', '\\']) {
        return refuse("contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return refuse("contains a control character");
    }
    Ok(())
}

/// The host as a file-name stem: `a-z 0-9 . -` kept, every other byte `_XX`.
fn encode_host(host: &str) -> Result<String, StoreError> {
    if host.contains("://") {
        return Err(StoreError::InvalidName {
            name: host.to_owned(),
            reason: "a URL, not a host: pass the configuration's `frontend_api_host()` \
                     (`clerk.example.com`, `127.0.0.1:3000`), or build the store with `FileStore::for_config`",
        });
    }
    check_component(host)?;
    let mut stem = String::with_capacity(host.len());
    for byte in host.bytes() {
        if byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'.' || byte == b'-' {
            stem.push(char::from(byte));
        } else {
            stem.push_str(&format!("_{byte:02X}"));
        }
    }
    if stem.len() > MAX_STEM_BYTES {
        return Err(StoreError::InvalidName { name: host.to_owned(), reason: "too long for a file name" });
    }
    Ok(stem)
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(StoreError::io("create directory", dir))
}

/// Refuses a store directory others could plant a state in (Unix): one group or others
/// can write to, or one another user owns. The directories the store creates are `0700`;
/// one given with `--store-dir` or `FileStore::new` must be as private.
fn check_private_dir(dir: &Path) -> Result<(), StoreError> {
    let metadata = fs::metadata(dir).map_err(StoreError::io("inspect", dir))?;
    check_private(dir, &metadata, |mode| writable_dir_advice(dir, mode, &user_label()))
}

/// What to do about a store directory group or others can write to, given its mode bits.
/// A shared directory (sticky and writable by others, as `/tmp` is) is meant to be shared:
/// taking others' write permission away would break every other user of it, so the advice
/// is a private subdirectory, which the store creates with mode `0700` itself. Any other
/// directory can be made private with `chmod go-w`.
fn writable_dir_advice(dir: &Path, mode: u32, user: &str) -> String {
    const STICKY: u32 = 0o1000;
    if mode & STICKY != 0 {
        let private = dir.join(format!("clerk-{user}"));
        format!(
            "; it is a shared directory (sticky, like /tmp): do not change its mode, keep the store in a \
             private subdirectory instead, such as {} (the store creates a missing directory with mode 700)",
            shell_quoted(&private)
        )
    } else {
        format!("; use a directory of your own, or make this one private with `chmod go-w {}`", shell_quoted(dir))
    }
}

/// A path as a POSIX shell reads it back: as it is when it holds only characters no shell
/// treats specially, else in single quotes (a `'` inside written `'\''`). For advice that
/// names a command to run, so that pasting it runs that command on that path and nothing
/// else, whatever the path holds.
///
/// ```
/// use std::path::Path;
/// use clerk_store::file_store::shell_quoted;
///
/// assert_eq!(shell_quoted(Path::new("/home/ada/.config/clerk")), "/home/ada/.config/clerk");
/// assert_eq!(shell_quoted(Path::new("/tmp/it's here;x")), r"'/tmp/it'\''s here;x'");
/// ```
#[must_use]
pub fn shell_quoted(path: &Path) -> String {
    let text = path.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// This user's name for a private directory's name: `USER` or `LOGNAME` when it is made of
/// letters, digits, `.`, `_` and `-` only (not starting with `.` or `-`), else the numeric
/// user id. Nothing from the environment that a shell or a path would read specially.
fn user_label() -> String {
    let from_environment =
        ["USER", "LOGNAME"].iter().filter_map(|name| std::env::var(name).ok()).find(|name| is_plain_user_name(name));
    #[cfg(unix)]
    let fallback = || rustix::process::getuid().as_raw().to_string();
    #[cfg(not(unix))]
    let fallback = || String::from("user");
    from_environment.unwrap_or_else(fallback)
}

/// Whether `name` can go into a directory's name and a shell command as it is.
fn is_plain_user_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Refuses a state file someone else may have written (Unix): owned by another user, or
/// writable by group or others. The store writes its files `0600`.
fn check_private_file(path: &Path, metadata: &fs::Metadata) -> Result<(), StoreError> {
    check_private(path, metadata, |_| String::new())
}

/// [`StoreError::NotPrivate`] for a directory or file (Unix) that group or others can write
/// to (what `advice` makes of its mode bits follows that reason) or that another user owns.
fn check_private(path: &Path, metadata: &fs::Metadata, advice: impl FnOnce(u32) -> String) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let not_private = |reason: String| StoreError::NotPrivate { path: path.to_owned(), reason };
        // The permission bits with the sticky, set-user-id and set-group-id bits.
        let mode = metadata.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(not_private(format!("other users can write to it (mode {mode:03o}){}", advice(mode))));
        }
        let me = rustix::process::getuid().as_raw();
        if metadata.uid() != me {
            return Err(not_private(format!("it belongs to another user (uid {}, not {me})", metadata.uid())));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, metadata, advice);
    Ok(())
}

/// Refuses a symbolic link where the store keeps a file of its own (the state, its lock):
/// opening it would read or lock whatever it points to.
fn refuse_symlink(path: &Path) -> Result<(), StoreError> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => Err(StoreError::NotPrivate {
            path: path.to_owned(),
            reason: String::from("it is a symbolic link; the store keeps a file of its own there"),
        }),
        _ => Ok(()),
    }
}

/// Creates `path` (which must not exist) with mode `0600`, writes `contents` and flushes
/// them to disk.
fn write_synced(path: &Path, contents: &[u8]) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(StoreError::io("create", path))?;
    file.write_all(contents).map_err(StoreError::io("write", path))?;
    file.sync_all().map_err(StoreError::io("sync", path))
}

/// Flushes a directory entry change (the rename) to disk. Only Unix can open a directory
/// as a file; elsewhere the rename is as durable as the platform makes it.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        File::open(dir).and_then(|d| d.sync_all()).map_err(StoreError::io("sync", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_map_to_distinct_safe_names() {
        assert_eq!(encode_host("clerk.example.com").ok().as_deref(), Some("clerk.example.com"));
        assert_eq!(encode_host("localhost:3000").ok().as_deref(), Some("localhost_3A3000"));
        assert_eq!(encode_host("Clerk.example.com").ok().as_deref(), Some("_43lerk.example.com"));
        assert_eq!(encode_host("a_b").ok().as_deref(), Some("a_5Fb"));
        assert_ne!(encode_host("a:b").ok(), encode_host("a_3Ab").ok());
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "a\nb", &"x".repeat(201)] {
            assert!(matches!(encode_host(bad), Err(StoreError::InvalidName { .. })), "{bad:?}");
        }
    }

    #[test]
    fn a_url_for_a_host_is_refused_with_the_way_to_the_host() {
        match encode_host("http://127.0.0.1:3000") {
            Err(StoreError::InvalidName { reason, .. }) => {
                assert!(reason.contains("a URL, not a host") && reason.contains("FileStore::for_config"), "{reason}");
            }
            other => panic!("a URL named a store file: {other:?}"),
        }
    }

    /// Advice names a command to paste: a path with shell characters is quoted, and a user
    /// name from the environment is used only when nothing in it is special.
    #[test]
    fn advice_is_safe_to_paste_into_a_shell() {
        let odd = Path::new("/tmp/rev dir;x");
        let advice = writable_dir_advice(odd, 0o777, "ada");
        assert!(advice.contains("`chmod go-w '/tmp/rev dir;x'`"), "{advice}");
        let advice = writable_dir_advice(odd, 0o1777, "ada");
        assert!(advice.contains("'/tmp/rev dir;x/clerk-ada'"), "{advice}");
        for plain in ["ada", "ada.lovelace", "ada_l-1"] {
            assert!(is_plain_user_name(plain), "{plain}");
        }
        for special in ["", "$(id)", "a b", "a;b", "-rf", ".hidden", "a/b", "`x`", "ada\n"] {
            assert!(!is_plain_user_name(special), "{special:?}");
        }
    }

    /// `chmod go-w` on a shared directory such as `/tmp` would break every other user of
    /// it: there the advice is a private subdirectory; elsewhere, `chmod go-w`.
    #[test]
    fn a_shared_sticky_directory_gets_a_private_subdirectory_not_a_chmod() {
        let tmp = Path::new("/tmp");
        for shared in [0o1777, 0o1775, 0o1770] {
            let advice = writable_dir_advice(tmp, shared, "ada");
            assert!(advice.contains("private subdirectory"), "{shared:o}: {advice}");
            assert!(advice.contains(&tmp.join("clerk-ada").display().to_string()), "{shared:o}: {advice}");
            assert!(advice.contains("do not change its mode"), "{shared:o}: {advice}");
            assert!(!advice.contains("chmod"), "{shared:o}: {advice}");
        }
        let own = Path::new("/home/ada/state");
        for ordinary in [0o777, 0o775, 0o757] {
            let advice = writable_dir_advice(own, ordinary, "ada");
            assert!(advice.contains("`chmod go-w /home/ada/state`"), "{ordinary:o}: {advice}");
            assert!(!advice.contains("subdirectory"), "{ordinary:o}: {advice}");
        }
    }
}
