//! # clerk-store: what the Clerk drivers keep on disk
//!
//! The engine, `clerk-core`, never touches a file. Both drivers (`clerk-reqwest`, async,
//! and `clerk-ureq`, blocking) need the same two things that do, and they live here once:
//!
//! * **The token store.** A [`TokenStore`] keeps the engine's
//!   [`PersistedState`](clerk_core::PersistedState) (client token, last client,
//!   environment) between runs. [`MemoryStore`] keeps it for the life of the process;
//!   [`FileStore`] keeps one file per Frontend API host, so a token for one instance
//!   (a real one) never goes to another (a local mock) or back. Build it with
//!   [`FileStore::for_config`] from the configuration the driver is built from: a driver
//!   refuses, when it is built, a store for another host than its configuration's
//!   ([`TokenStore::frontend_api_host`]).
//! * **Transcripts.** A [`TranscriptWriter`] records every exchange as one JSON line,
//!   secrets replaced by numbered placeholders (`[redacted#1]`, the same secret the same
//!   number), JWTs keeping header and claims; a [`TranscriptReader`] reads them back so
//!   `clerk replay FILE` can feed them through the engine.
//!
//! ## How a driver uses the store
//!
//! 1. At start: [`load`](TokenStore::load); with a state, `Client::restore(config, state,
//!    now)`, otherwise `Client::new(config, now)`.
//! 2. Whenever an event changes what a restart must find (`Event::changes_saved_identity`:
//!    `ClientTokenChanged`, `SessionsChanged`, `ActiveSessionChanged`,
//!    `ActiveOrganizationChanged`, `SignedOut`): [`save`](TokenStore::save)
//!    the engine's `export()` ([`clear`](TokenStore::clear) when nothing is left to keep).
//!    A save that failed is tried again before the next call.
//! 3. If the save says [`StoreError::Conflict`], another process rotated the token since:
//!    continue from the state it carries (`Client::adopt`; `None` when the store was
//!    cleared) rather than fight over it; the next save succeeds.
//! 4. Before each call, while the engine is idle: [`peek`](TokenStore::peek); when another
//!    process changed the token or (a store that can tell) wrote at all, such as a
//!    sign-out, [`load`](TokenStore::load) and adopt what it saved.
//! 5. After `destroy()`: [`clear`](TokenStore::clear).
//!
//! What to read and write, and what to make of the answers, is decided once, in
//! [`drive::DriveSupport`]; the calls themselves are [`drive::StoreCall`]s a driver makes on
//! a thread of its choosing. The blocking driver makes them on the calling thread. The
//! async driver makes those of a store that [may block](TokenStore::may_block) (the file
//! store, and a store of your own unless it says otherwise) on tokio's blocking thread
//! pool, so that a slow disk never stalls the runtime, and those of [`MemoryStore`] in its
//! own task.
//!
//! ## The file store's guarantees
//!
//! * **Atomic**: written to a temporary file in the same directory, flushed, renamed over
//!   the old file, directory flushed. A crash leaves the old file or the new one.
//! * **Private**: the file is created `0600` and the directories the store creates `0700`
//!   (on Unix; on Windows the file inherits the profile directory's ACL). On Unix a
//!   directory or state file another user could have put a state in (writable by group or
//!   others, or owned by another user), or a symbolic link in the file's place, is
//!   [`StoreError::NotPrivate`], nothing read or written.
//! * **Two processes**: every read-modify-write holds an advisory lock on a sibling
//!   `.lock` file, and each write carries a growing `generation`; a save from a store that
//!   has not seen the latest generation is refused ([`StoreError::Conflict`]). A lock
//!   another process keeps longer than [`FileStore::lock_timeout`] is
//!   [`StoreError::Locked`], nothing read or written, never a wait without end.
//! * **Nothing lost**: a file that is corrupt, from another format version or for another
//!   host is a typed error ([`StoreError::Corrupt`], [`StoreError::ForeignHost`]) and is
//!   left as it is; only [`clear`](TokenStore::clear) or [`FileStore::replace`]
//!   overwrite it.
//!
//! ## Example
//!
//! ```
//! use clerk_core::{Client, ClientConfig, HttpResponse, Output};
//! use clerk_store::{FileStore, TokenStore, TranscriptReader, TranscriptWriter};
//! use time::macros::datetime;
//!
//! let dir = std::env::temp_dir().join(format!("clerk-store-doc-{}", std::process::id()));
//! let config = ClientConfig::from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk")?;
//! let now = datetime!(2026-01-01 00:00 UTC);
//!
//! // Start from what is stored, if anything.
//! let store = FileStore::for_config(dir.join("state"), &config)?;
//! let mut client = match store.load()? {
//!     Some(state) => Client::restore(config.clone(), state, now)?,
//!     None => Client::new(config.clone(), now),
//! };
//!
//! // Record an exchange.
//! let transcript = TranscriptWriter::create(dir.join("transcript.jsonl"))?;
//! client.load(now);
//! if let Output::Request(outgoing) = client.poll_output() {
//!     let answer = Ok(HttpResponse::ok_json(r#"{"auth_config":{}}"#));
//!     transcript.record(&outgoing.request, &config.base_url(), &answer)?;
//!     client.handle_response(outgoing.id, answer, now)?;
//! }
//!
//! // Keep the state for the next run.
//! store.save(&client.export())?;
//! assert_eq!(store.load()?, Some(client.export()));
//!
//! // Read the transcript back.
//! let entries = TranscriptReader::open(dir.join("transcript.jsonl"))?.collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(entries.len(), 1);
//! assert!(entries[0].request.url.starts_with("https://foo-bar-13.clerk.accounts.dev/v1/environment?"));
//! assert_eq!(entries[0].outcome.as_ref().map(|r| r.status), Ok(200));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod config_dir;
pub mod drive;
mod error;
pub mod file_store;
mod placeholder;
mod store;
pub mod transcript;

/// What a program using a driver needs besides the driver itself, in one import; each
/// driver's own `prelude` adds its `Clerk`, `ClerkBuilder` and `DriverError` to it
/// (`use clerk_reqwest::prelude::*;`, `use clerk_ureq::prelude::*;`).
///
/// From [`clerk_core`]: the configuration, the sign-in and sign-up commands with their
/// arguments (creations, preparations, attempts), [`TokenRequest`](clerk_core::TokenRequest)
/// and [`OrganizationChoice`](clerk_core::OrganizationChoice), what calls return
/// ([`Completion`](clerk_core::Completion), [`SignOutConfirmation`](clerk_core::SignOutConfirmation),
/// [`ActiveSession`](clerk_core::ActiveSession), [`SessionJwt`](clerk_core::secret::SessionJwt))
/// and report ([`Event`](clerk_core::Event)), the secrets a user types and what a program
/// matches on (error codes, attempt statuses, [`CommandError`](clerk_core::CommandError),
/// [`OperationError`](clerk_core::OperationError), [`Flow`](clerk_core::Flow)) and reads
/// (sessions, the user); from this crate, the token stores. (`clerk_core::wire::Strategy`
/// is left out: it would clash with proptest's prelude.)
pub mod prelude {
    pub use crate::{FileStore, MemoryStore, TokenStore};
    pub use clerk_core::secret::{Password, SessionJwt, Ticket, VerificationCode};
    pub use clerk_core::wire::{ErrorCode, SessionResource, SignInStatus, SignUpStatus, UserResource};
    pub use clerk_core::{
        ActiveSession, ClientConfig, CommandError, Completion, Event, FirstFactorAttempt, FirstFactorPreparation, Flow,
        OperationError, OrganizationChoice, SecondFactorAttempt, SecondFactorPreparation, SignInCommand, SignInCreate,
        SignOutConfirmation, SignUpAttempt, SignUpCommand, SignUpFields, SignUpPreparation, TokenRequest,
    };
}

pub use config_dir::default_dir;
pub use error::{StoreError, TranscriptError};
pub use file_store::{DEFAULT_LOCK_TIMEOUT, FileStore, STORE_FORMAT_VERSION};
pub use store::{MemoryStore, StorePeek, TokenStore};
pub use transcript::{TranscriptEntry, TranscriptReader, TranscriptRequest, TranscriptResponse, TranscriptWriter};
