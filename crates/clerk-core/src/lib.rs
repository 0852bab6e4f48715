//! # clerk-core: Clerk's Frontend API as a sans-IO engine
//!
//! `clerk-core` models Clerk's **Client** object (its sessions, its sign-in and its
//! sign-up) and the flows on it as an explicit state machine. It never opens a socket,
//! reads a clock, spawns a thread, sleeps or prints: commands go in, request descriptions,
//! events and deadlines come out, and answers and the current time go back in. That makes
//! it usable from any runtime (tokio, a blocking loop, a game loop, wasm `fetch`), and
//! testable in virtual time. The drivers `clerk-reqwest` and `clerk-ureq` carry out the IO
//! for you; this crate is for everyone else, and for the drivers themselves.
//!
//! ## The drive loop
//!
//! 1. [`submit`](Client::submit) a command (or call a typed method such as
//!    [`Client::load`]); you get an [`OpId`].
//! 2. Drain [`poll_output`](Client::poll_output) until it returns [`Output::Timeout`] or
//!    [`Output::Idle`]: send each [`Output::Request`], pass each [`Output::Event`] on, and
//!    persist the client token on [`Event::ClientTokenChanged`].
//! 3. Feed each answer (or transport error) back with
//!    [`handle_response`](Client::handle_response).
//! 4. On `Timeout(t)`: sleep until `t`, then call [`handle_timeout`](Client::handle_timeout).
//! 5. Stop when [`Event::OperationCompleted`] for your `OpId` arrives.
//!
//! ## Rules the engine keeps for you
//!
//! * **Time** is what you pass in. The engine keeps the latest `now` it saw and treats an
//!   earlier one as that; backoff and deadlines are computed from it.
//! * **One request on the wire at a time**, the rest in a FIFO queue: the client token
//!   rotates, and two requests sent with the same token race into a session-less client.
//! * **Native identity**: the client token comes back in the `Authorization` response
//!   header; the engine adopts a rotated token only from an answer to a request that
//!   carried the current token, and applies a client only through the *stale gate*
//!   (request order, then `updated_at`). An old-token answer never signs anyone out.
//! * **Nothing lost on bad input**: a transport error, a 5xx, an oversized or undecodable
//!   body change nothing; a 4xx applies its piggybacked client, then fails the operation
//!   with a typed [`ApiError`].
//! * **Secrets by type**: tokens, passwords and codes are [`secret`] newtypes and
//!   [`FieldValue::Secret`]s; `Debug`, `Display` and serialisation redact them.
//! * **Strings share the answer**: ids, names and other strings of the client's resources
//!   are [`wire::Text`]s, read as `&str` through `Deref`. Decoded by the engine, an
//!   unescaped one is a range of the answer body it came from: decoding and cloning it does
//!   not allocate, and while it lives it keeps that body (usually a few KB) alive. Ids the
//!   engine hands out in events are detached copies; call
//!   [`detach`](wire::Text::detach) on anything else you keep for long.
//!
//! ## Example
//!
//! Loading a client whose token was stored earlier, against canned answers:
//!
//! ```
//! use clerk_core::{Client, ClientConfig, Event, HttpResponse, Output, PersistedState};
//! use time::macros::datetime;
//!
//! let config = ClientConfig::from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk")?;
//! let now = datetime!(2026-01-01 00:00 UTC);
//! let mut client = Client::new(config, now);
//! let load = client.load(now);
//!
//! let mut completed = None;
//! while completed.is_none() {
//!     match client.poll_output() {
//!         Output::Request(outgoing) => {
//!             // A real driver sends `outgoing.request` here.
//!             assert_eq!(outgoing.request.query_value("_is_native").map(|v| v.expose()), Some("true"));
//!             let body: &[u8] = match outgoing.request.path.as_str() {
//!                 "/v1/environment" => br#"{"auth_config":{"single_session_mode":true}}"#,
//!                 _ => br#"{"response":null,"client":null}"#,
//!             };
//!             client.handle_response(outgoing.id, Ok(HttpResponse::ok_json(body)), now)?;
//!         }
//!         Output::Event(Event::OperationCompleted { op, outcome }) if op == load => completed = Some(outcome),
//!         Output::Event(_) => {}
//!         Output::Timeout(_) | Output::Idle => break,
//!         _ => break,
//!     }
//! }
//! assert!(completed.is_some_and(|outcome| outcome.is_ok()));
//! assert!(client.environment().is_some());
//! assert!(client.active_session().is_none());
//! let saved: PersistedState = client.export();
//! assert_eq!(saved.next_request_id, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
// Nothing the server or a caller sends may panic the engine (unit tests may unwrap).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod builder;
pub mod captcha;
pub mod classification;
pub mod command;
pub mod config;
pub mod encoding;
mod engine;
mod envelope;
pub mod error;
pub mod event;
#[cfg(feature = "arbitrary")]
pub mod fuzz_vocabulary;
pub mod ids;
pub mod jwt;
pub mod kind;
pub mod persist;
pub mod redact;
pub mod request;
pub mod reverification;
pub mod secret;
pub mod session;
pub mod sign_in;
pub mod sign_up;
pub mod token_cache;
pub mod wire;

pub use classification::{ErrorEffect, SessionEndReason};
pub use command::{ClientCommand, Command, Flow};
pub use config::{ClientConfig, InstanceType, PublishableKey, RetryPolicy, TransportMode};
pub use engine::{Client, IDS_SKIPPED_AT_RESTORE, MAX_AUTOMATIC_RETRY_AFTER, TOUCH_ELIGIBILITY};
pub use error::{ApiError, CommandError, OperationError, ResponseError, RestoreError, TransportError};
pub use event::{Completion, EmailLinkOutcome, Event, Outcome, Outgoing, Output, SignOutConfirmation, SignOutReason};
pub use ids::{OpId, RequestId};
pub use kind::RequestKind;
pub use persist::{PERSISTED_STATE_VERSION, PersistedState};
pub use request::{Field, FieldValue, HttpRequest, HttpResponse, Method};
pub use reverification::{
    ReverificationCommand, ReverificationFirstAttempt, ReverificationPreparation, ReverificationSecondAttempt,
};
pub use session::{ActiveSession, OrganizationChoice, SessionCommand, TokenRequest, TouchIntent};
pub use sign_in::{
    FirstFactorAttempt, FirstFactorPreparation, SecondFactorAttempt, SecondFactorPreparation, SignInCommand,
    SignInCreate,
};
pub use sign_up::{SignUpAttempt, SignUpCommand, SignUpFields, SignUpPreparation, SignUpRedirect};
/// The `time` crate this API's instants and durations are in (a session's `expire_at`, an
/// error's `retry_after`, every `now`), at the version the engine was built with: compare
/// and build them without depending on it yourself.
pub use time;
pub use token_cache::TokenKey;
