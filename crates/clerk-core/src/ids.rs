//! Identifiers the engine hands out: requests and operations.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Identifies one request the engine emitted. Ids come from a counter that is part of
/// the persisted state, so they strictly increase for the lifetime of a client, across
/// [`export`](crate::Client::export) and [`restore`](crate::Client::restore) too. A retry is
/// a new request with a new id. (A restored engine goes on
/// [`IDS_SKIPPED_AT_RESTORE`](crate::IDS_SKIPPED_AT_RESTORE) past the saved counter: the
/// drivers save on identity changes, not after every request.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "req#{}", self.0)
    }
}

/// Identifies one operation: everything one [`submit`](crate::Client::submit) started. Each
/// operation ends in exactly one [`Event::OperationCompleted`](crate::Event::OperationCompleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpId(pub u64);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op#{}", self.0)
    }
}
