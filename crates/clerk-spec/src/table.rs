//! The operation table: every operation of Clerk's Frontend API spec with the parameters it
//! documents, plus the known gaps from `undocumented.json`.
//!
//! The serialized form is `src/operations.json`, written by `gen-spec-table` and embedded into
//! this crate with `include_str!`.

use serde::{Deserialize, Serialize};

use crate::path_template::PathTemplate;

/// The table as embedded in the crate (generated file, do not edit by hand).
const EMBEDDED_TABLE: &str = include_str!("operations.json");

/// The whole table as it is stored in `operations.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableDocument {
    /// Where the table was generated from.
    pub(crate) source: TableSource,
    /// The spec's `components.securitySchemes`, by name.
    pub(crate) security_schemes: Vec<SecurityScheme>,
    /// Extras from `undocumented.json` that apply to every operation.
    pub(crate) undocumented: UndocumentedExtras,
    /// Every operation of the spec, ordered by path, then method.
    pub(crate) operations: Vec<Operation>,
}

/// Where a table was generated from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TableSource {
    /// File name of the OpenAPI spec, e.g. `openapi-2026-05-12.yml`.
    pub spec: String,
    /// The spec's `openapi` version field, e.g. `3.0.3`.
    pub openapi: String,
    /// The spec's `info.version`, e.g. `v1`.
    pub info_version: String,
    /// File name of the list of undocumented parameters.
    pub undocumented: String,
}

/// A security scheme of the spec (`components.securitySchemes`). Operations name the schemes
/// they accept; a scheme documents the credential parameter it names (a query parameter, a
/// header, a cookie, or the `Authorization` header for `http` schemes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum SecurityScheme {
    /// `type: apiKey`: a named query parameter, header or cookie.
    ApiKey {
        /// The scheme's name, e.g. `ProductionNativeFlag`.
        name: String,
        /// Where the key travels.
        location: ApiKeyLocation,
        /// The parameter, header or cookie name, e.g. `_is_native`.
        parameter: String,
    },
    /// `type: http`: the `Authorization` header with the given scheme.
    Http {
        /// The scheme's name, e.g. `ProductionNativeApp`.
        name: String,
        /// The HTTP authentication scheme, e.g. `bearer` or `basic`.
        scheme: String,
    },
}

impl SecurityScheme {
    /// The scheme's name as operations refer to it.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::ApiKey { name, .. } | Self::Http { name, .. } => name,
        }
    }
}

/// Where an `apiKey` security scheme's key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ApiKeyLocation {
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie (sent in the `Cookie` header).
    Cookie,
}

/// Parameters Clerk's own SDKs send that the spec does not list, valid on every operation.
/// Per-operation extras live on [`Operation::undocumented_query`] and
/// [`Operation::undocumented_body`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UndocumentedExtras {
    /// Query parameters allowed on every operation (e.g. `__clerk_api_version`, `_method`).
    pub query_on_every_operation: Vec<String>,
    /// Request headers allowed on every operation, lower case (e.g. `clerk-api-version`).
    pub headers: Vec<String>,
}

/// One documented operation: a method on a path template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Operation {
    /// Upper-case HTTP method, e.g. `POST`.
    pub method: String,
    /// Path template as the spec writes it, e.g. `/v1/client/sign_ins/{sign_in_id}`.
    pub path: String,
    /// The spec's `operationId`, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Whether the spec marks the operation deprecated.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// Names of the path parameters, in template order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_parameters: Vec<String>,
    /// Documented query parameters, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<Parameter>,
    /// Documented header parameters, by name (spec spelling; compare case-insensitively).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Parameter>,
    /// Media types the request body may have, sorted (empty: the operation takes no body).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body_media_types: Vec<String>,
    /// Parameters of the `application/x-www-form-urlencoded` body, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<Parameter>,
    /// The form body schema allows parameters beyond [`Operation::body`]
    /// (`additionalProperties: true`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub additional_body_parameters: bool,
    /// The security requirement in effect (the operation's own, else the spec's global one):
    /// alternatives, each a set of scheme names that go together; an empty set means
    /// "no credentials".
    pub security: Vec<Vec<String>>,
    /// Documented response status codes, ascending.
    pub responses: Vec<u16>,
    /// Extra query parameters `undocumented.json` allows on this operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undocumented_query: Vec<String>,
    /// Extra form body parameters `undocumented.json` allows on this operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undocumented_body: Vec<String>,
}

impl Operation {
    /// The documented query parameter with this name.
    #[must_use]
    pub fn query_parameter(&self, name: &str) -> Option<&Parameter> {
        self.query.iter().find(|p| p.name == name)
    }

    /// The documented form body parameter with this name.
    #[must_use]
    pub fn body_parameter(&self, name: &str) -> Option<&Parameter> {
        self.body.iter().find(|p| p.name == name)
    }

    /// The documented header parameter with this name (case-insensitive).
    #[must_use]
    pub fn header_parameter(&self, name: &str) -> Option<&Parameter> {
        self.headers.iter().find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Whether the operation documents the response status `status`.
    #[must_use]
    pub fn documents_status(&self, status: u16) -> bool {
        self.responses.contains(&status)
    }
}

/// A documented query, header or form body parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Parameter {
    /// The wire name.
    pub name: String,
    /// Whether the spec requires it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// The schema type.
    #[serde(rename = "type")]
    pub kind: ParameterType,
    /// For arrays: the element type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<ParameterType>,
    /// Whether the schema is `nullable` (on the wire: an empty value stands for null).
    #[serde(default, skip_serializing_if = "is_false")]
    pub nullable: bool,
    /// The allowed values, when the schema (or, for arrays, the element schema) is an enum.
    #[serde(rename = "enum", default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
    /// The serialization style of an array query parameter (`form`, `spaceDelimited`, …), when
    /// the spec names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
}

/// The JSON schema type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ParameterType {
    /// `string` (also JSON text sent as a string, e.g. `unsafe_metadata`).
    String,
    /// `boolean`: `true` or `false` on the wire.
    Boolean,
    /// `integer`.
    Integer,
    /// `number`.
    Number,
    /// `array`: the key repeated once per element.
    Array,
    /// `object`.
    Object,
    /// No type given.
    Any,
}

/// The table could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// The JSON does not have the table's shape.
    #[error("operation table is not valid: {0}")]
    Json(String),
    /// An operation's path template cannot be parsed.
    #[error("operation {method} {path}: bad path template: {reason}")]
    PathTemplate {
        /// The operation's method.
        method: String,
        /// The template.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Clerk's Frontend API as its published spec (plus `undocumented.json`) documents it.
///
/// Load the embedded table with [`SpecTable::load`], look operations up with
/// [`SpecTable::operation`], check requests with [`SpecTable::validate`].
#[derive(Debug, Clone)]
pub struct SpecTable {
    document: TableDocument,
    /// Parsed templates, parallel to `document.operations`.
    templates: Vec<PathTemplate>,
}

impl SpecTable {
    /// The table embedded in this crate (`src/operations.json`).
    ///
    /// # Errors
    ///
    /// Fails only if the embedded table is broken, which is a programming error in this crate
    /// (the generator writes it and this crate's tests load it); callers may treat the error as
    /// fatal.
    pub fn load() -> Result<Self, TableError> {
        Self::from_json(EMBEDDED_TABLE)
    }

    /// A table from its JSON form (the format of `operations.json`).
    ///
    /// # Errors
    ///
    /// [`TableError`] when the JSON does not have the table's shape or a path template cannot
    /// be parsed.
    pub fn from_json(json: &str) -> Result<Self, TableError> {
        let document: TableDocument = serde_json::from_str(json).map_err(|e| TableError::Json(e.to_string()))?;
        Self::from_document(document)
    }

    pub(crate) fn from_document(document: TableDocument) -> Result<Self, TableError> {
        let templates = document
            .operations
            .iter()
            .map(|op| {
                PathTemplate::parse(&op.path).map_err(|reason| TableError::PathTemplate {
                    method: op.method.clone(),
                    path: op.path.clone(),
                    reason,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { document, templates })
    }

    /// Every operation, ordered by path template, then method.
    #[must_use]
    pub fn operations(&self) -> &[Operation] {
        &self.document.operations
    }

    /// Where the table was generated from.
    #[must_use]
    pub fn source(&self) -> &TableSource {
        &self.document.source
    }

    /// The spec's security schemes.
    #[must_use]
    pub fn security_schemes(&self) -> &[SecurityScheme] {
        &self.document.security_schemes
    }

    /// The security scheme with this name.
    #[must_use]
    pub fn security_scheme(&self, name: &str) -> Option<&SecurityScheme> {
        self.document.security_schemes.iter().find(|s| s.name() == name)
    }

    /// Extras from `undocumented.json` valid on every operation.
    #[must_use]
    pub fn undocumented(&self) -> &UndocumentedExtras {
        &self.document.undocumented
    }

    /// The operation a concrete request path belongs to.
    ///
    /// `method` is compared case-insensitively; no method tunnelling happens here (see
    /// [`SpecTable::validate`]). `path` is the concrete, percent-encoded path without query,
    /// e.g. `/v1/client/sign_ins/sia_123/attempt_first_factor`. A literal template segment wins
    /// over a parameter segment (`/v1/me/sessions/active` is not `/v1/me/sessions/{session_id}`),
    /// deciding from the left. Parameter segments match one non-empty segment; literal segments
    /// are compared after percent-decoding. Returns `None` when no template matches or the path
    /// is not a well-formed percent-encoded path.
    #[must_use]
    pub fn operation(&self, method: &str, path: &str) -> Option<&Operation> {
        let concrete = crate::path_template::split_concrete(path)?;
        let mut best: Option<(Vec<bool>, &Operation)> = None;
        for (op, template) in self.document.operations.iter().zip(&self.templates) {
            if !op.method.eq_ignore_ascii_case(method) {
                continue;
            }
            let Some(rank) = template.match_rank(&concrete) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((best_rank, _)) => rank > *best_rank,
            };
            if better {
                best = Some((rank, op));
            }
        }
        best.map(|(_, op)| op)
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}
