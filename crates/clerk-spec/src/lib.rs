//! clerk-spec: what Clerk's Frontend API documents, as a table, and a check of requests
//! against it.
//!
//! A request is valid when Clerk's published OpenAPI spec of the Frontend API
//! (`openapi-2026-05-12.yml`) documents it, or when `undocumented.json` lists the extra
//! parameter (parameters Clerk's own SDKs send that the spec omits). Nothing else. The engine's
//! tests and the mock server check every request they see with [`SpecTable::validate`].
//!
//! The spec itself is not part of the repository. This crate embeds a compact table generated
//! from it (`src/operations.json`): every operation with its path template, path, query,
//! header and form body parameters (types, `required`, enum values), body media types,
//! security requirement and documented response codes, plus the extras of `undocumented.json`.
//! Answers are checked against the spec's response schemas by [`responses::ResponseSchemas`]
//! (feature `generate`, which reads the spec's YAML at run time): the mock's answers in tests,
//! and the recorded answers of the real server.
//!
//! `cargo run -p clerk-spec --bin gen-spec-table` rewrites the table from
//! `$CLERK_SHARED_DIR/fapi/` (default `<workspace>/../shared/fapi/`); a test regenerates it and
//! compares byte for byte.
//!
//! ```
//! use clerk_spec::{RequestShape, SpecTable, Violation};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let table = SpecTable::load()?;
//! let pairs = |p: &[(&str, &str)]| -> Vec<(String, String)> {
//!     p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
//! };
//! let query = pairs(&[("__clerk_api_version", "2026-05-12"), ("_is_native", "true")]);
//! let form = pairs(&[("strategy", "email_code"), ("code", "424242")]);
//! let request = RequestShape {
//!     method: "POST",
//!     path: "/v1/client/sign_ins/sia_1/attempt_first_factor",
//!     query: &query,
//!     headers: &[],
//!     form: &form,
//! };
//! let operation = table.validate(&request).map_err(|v| format!("{v:?}"))?;
//! assert_eq!(operation.path, "/v1/client/sign_ins/{sign_in_id}/attempt_first_factor");
//!
//! let form = pairs(&[("strategy", "email_code"), ("favourite_colour", "blue")]);
//! let request = RequestShape { form: &form, ..request };
//! assert_eq!(
//!     table.validate(&request).err(),
//!     Some(vec![Violation::UnknownBodyParameter { name: "favourite_colour".into() }]),
//! );
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "generate")]
pub mod generate;
mod path_template;
#[cfg(feature = "generate")]
pub mod responses;
pub mod table;
pub mod validate;

pub use table::{
    ApiKeyLocation, Operation, Parameter, ParameterType, SecurityScheme, SpecTable, TableError, TableSource,
    UndocumentedExtras,
};
pub use validate::{RequestShape, Violation};
