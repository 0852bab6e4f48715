//! # clerk-testkit: one definition of "the engine behaves"
//!
//! The shared harness of the property tests (`tests/properties.rs` here), the fuzz
//! targets (`fuzz/`, its own workspace) and their seed replays:
//!
//! * [`mode`]: the engine mode a run uses ([`EngineMode`]: native, browser on a production
//!   or a development instance), chosen by the generators like any other input;
//! * [`transition`]: the abstract steps ([`Transition`]) in a curated vocabulary
//!   (commands, server changes, Clerk error codes, 429/5xx/transport/malformed answers),
//!   with `arbitrary` derives for the fuzzer and proptest strategies for the property
//!   tests;
//! * [`server`]: the fake Frontend API that turns an abstract answer into JSON;
//! * [`model`]: the reference model, written from the documented rules, never asking the
//!   engine what to expect;
//! * [`runner`]: [`Runner`] applies transitions to a real `clerk_core::Client` and to the
//!   model and checks the invariants after every step (a violation panics);
//! * [`fuzzing`]: the bodies of the fuzz targets, so the fuzzer and the stable seed
//!   replays run the same checks.
//!
//! See docs/testing.md for the model, the invariants and how to run everything.
#![forbid(unsafe_code)]

pub mod fuzzing;
pub mod mode;
pub mod model;
pub mod runner;
pub mod server;
pub mod transition;

pub use mode::EngineMode;
pub use model::{Expectation, Model};
pub use runner::{Runner, START, TEST_KEY, test_config};
pub use transition::{Answer, CommandChoice, DbJwt, ErrorChoice, ResetTarget, ServerChange, SignOutTarget, Transition};
