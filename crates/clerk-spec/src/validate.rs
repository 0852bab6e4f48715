//! Checking a request against the table: is every part of it documented?

use std::fmt;

use crate::table::{ApiKeyLocation, Operation, Parameter, ParameterType, SecurityScheme, SpecTable};

/// Headers any HTTP client sends on its own, allowed on every operation (lower case). The
/// spec does not document transport headers; these carry no Clerk semantics.
pub const TRANSPORT_HEADERS: &[&str] =
    &["accept", "accept-encoding", "connection", "content-length", "content-type", "host", "user-agent"];

/// The query parameter that tunnels a method through `POST` (`_method=PATCH`).
pub const METHOD_OVERRIDE_PARAMETER: &str = "_method";

/// The methods `_method` may name.
pub const TUNNELLED_METHODS: &[&str] = &["PUT", "PATCH", "DELETE"];

/// A request as seen on the wire, to be checked with [`SpecTable::validate`].
///
/// Names and values are decoded (no percent-encoding), in wire order; repeated keys are
/// repeated entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestShape<'a> {
    /// The wire method, any case (`POST` for a tunnelled `PATCH`).
    pub method: &'a str,
    /// The concrete, percent-encoded path without query, starting `/v1`
    /// (`/v1/client/sign_ins/sia_1/attempt_first_factor`).
    pub path: &'a str,
    /// Query parameters.
    pub query: &'a [(String, String)],
    /// Request headers (names compared case-insensitively).
    pub headers: &'a [(String, String)],
    /// The `application/x-www-form-urlencoded` body's parameters.
    pub form: &'a [(String, String)],
}

/// One way a request departs from what the spec and `undocumented.json` document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Violation {
    /// No operation of the spec has this method and path.
    #[error("no documented operation {method} {path}")]
    UnknownOperation {
        /// The method after tunnelling.
        method: String,
        /// The concrete path.
        path: String,
    },
    /// A query parameter neither the operation, its security schemes nor `undocumented.json`
    /// names.
    #[error("query parameter `{name}` is not documented for this operation")]
    UnknownQueryParameter {
        /// The parameter.
        name: String,
    },
    /// A form body parameter neither the operation nor `undocumented.json` names.
    #[error("body parameter `{name}` is not documented for this operation")]
    UnknownBodyParameter {
        /// The parameter.
        name: String,
    },
    /// The spec requires this form body parameter and the request lacks it.
    #[error("required body parameter `{name}` is missing")]
    MissingRequiredBodyParameter {
        /// The parameter.
        name: String,
    },
    /// The spec requires this query parameter and the request lacks it.
    #[error("required query parameter `{name}` is missing")]
    MissingRequiredQueryParameter {
        /// The parameter.
        name: String,
    },
    /// The spec requires this header and the request lacks it.
    #[error("required header `{name}` is missing")]
    MissingRequiredHeader {
        /// The header as the spec spells it.
        name: String,
    },
    /// The spec enumerates the parameter's values and this is not one of them.
    #[error("parameter `{name}` has value `{value}`, not one of {allowed:?}")]
    ValueNotInEnum {
        /// The parameter.
        name: String,
        /// The value sent.
        value: String,
        /// The documented values.
        allowed: Vec<String>,
    },
    /// The value does not have the parameter's documented type (booleans are `true`/`false`,
    /// numbers decimal; an empty value is null, allowed only when the schema is nullable).
    #[error("parameter `{name}` has value `{value}`, which is not a {expected}")]
    ValueNotOfType {
        /// The parameter.
        name: String,
        /// The value sent.
        value: String,
        /// The documented type.
        expected: ParameterType,
    },
    /// A non-array query parameter appears more than once.
    #[error("query parameter `{name}` is repeated but is not an array")]
    RepeatedQueryParameter {
        /// The parameter.
        name: String,
    },
    /// A non-array body parameter appears more than once.
    #[error("body parameter `{name}` is repeated but is not an array")]
    RepeatedBodyParameter {
        /// The parameter.
        name: String,
    },
    /// A header that is not a transport header, not documented for the operation (as a header
    /// parameter or through its security schemes) and not in `undocumented.json`.
    #[error("header `{name}` is not documented for this operation")]
    UnknownHeader {
        /// The header, lower case.
        name: String,
    },
    /// A `GET` request with a form body.
    #[error("a GET request carries a body")]
    BodyOnGet,
    /// `_method` on a request whose wire method is not `POST`.
    #[error("`_method` tunnelling on a {method} request; only POST is tunnelled")]
    MethodOverrideNotOnPost {
        /// The wire method.
        method: String,
    },
}

impl fmt::Display for ParameterType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Array => "array",
            Self::Object => "object",
            Self::Any => "value",
        })
    }
}

impl SpecTable {
    /// Checks that every part of `request` is documented: by the spec, or as a known gap in
    /// `undocumented.json`. Nothing else is valid.
    ///
    /// Rules:
    ///
    /// - **Method tunnelling**: a `POST` with `_method=PUT|PATCH|DELETE` (any case) in the
    ///   query is validated as that method; `_method` with another value, or on another wire
    ///   method, is a violation.
    /// - **Operation**: found by [`SpecTable::operation`]; when none matches, the result is
    ///   [`Violation::UnknownOperation`] alone.
    /// - **Query**: each name must be a documented query parameter, the `apiKey`-in-query
    ///   parameter of a security scheme the operation accepts (`_is_native`, `__dev_session`),
    ///   or an `undocumented.json` extra (for every operation or for this one). Required ones
    ///   must be present.
    /// - **Headers** (case-insensitive): [`TRANSPORT_HEADERS`], the operation's header
    ///   parameters, the headers its security schemes name (`Authorization` for `http`
    ///   schemes, `Cookie` for `apiKey`-in-cookie), and `undocumented.json`'s headers.
    /// - **Body**: each name must be a documented parameter of the operation's
    ///   `application/x-www-form-urlencoded` body (or any name when the schema allows
    ///   additional properties), or an `undocumented.json` extra for this operation. Required
    ///   ones must be present. A `GET` must carry no body.
    /// - **Values** of documented parameters: an array parameter is the key repeated once per
    ///   element, under its plain name (`domains=a&domains=b`; `domains[]` is a different,
    ///   undocumented name); space- or pipe-delimited query arrays are split. Any other
    ///   parameter may appear once. JSON sent as text (`unsafe_metadata`,
    ///   `public_key_credential`) is a plain `string` parameter and is not parsed. Booleans are
    ///   `true`/`false`, integers and numbers decimal, enumerated values must be listed; an
    ///   empty value (null) is accepted where the schema is nullable. `undocumented.json`
    ///   extras are untyped and may appear once.
    ///
    /// # Errors
    ///
    /// Every [`Violation`] found, in request order (operation and method problems first).
    pub fn validate(&self, request: &RequestShape<'_>) -> Result<&Operation, Vec<Violation>> {
        let mut violations = Vec::new();
        let wire_method = request.method.to_ascii_uppercase();
        let method = self.effective_method(&wire_method, request.query, &mut violations);

        let Some(operation) = self.operation(&method, request.path) else {
            violations.push(Violation::UnknownOperation { method, path: request.path.to_owned() });
            return Err(violations);
        };

        self.check_query(operation, request.query, &mut violations);
        self.check_headers(operation, request.headers, &mut violations);
        if method == "GET" {
            if !request.form.is_empty() {
                violations.push(Violation::BodyOnGet);
            }
        } else {
            check_body(operation, request.form, &mut violations);
        }

        if violations.is_empty() { Ok(operation) } else { Err(violations) }
    }

    /// The method the request means: the wire method, or the tunnelled one.
    fn effective_method(
        &self,
        wire_method: &str,
        query: &[(String, String)],
        violations: &mut Vec<Violation>,
    ) -> String {
        let mut overrides = query.iter().filter(|(name, _)| name == METHOD_OVERRIDE_PARAMETER).map(|(_, value)| value);
        let Some(first) = overrides.next() else {
            return wire_method.to_owned();
        };
        if overrides.next().is_some() {
            violations.push(Violation::RepeatedQueryParameter { name: METHOD_OVERRIDE_PARAMETER.to_owned() });
        }
        if wire_method != "POST" {
            violations.push(Violation::MethodOverrideNotOnPost { method: wire_method.to_owned() });
            return wire_method.to_owned();
        }
        let tunnelled = first.to_ascii_uppercase();
        if TUNNELLED_METHODS.contains(&tunnelled.as_str()) {
            tunnelled
        } else {
            violations.push(Violation::ValueNotInEnum {
                name: METHOD_OVERRIDE_PARAMETER.to_owned(),
                value: first.clone(),
                allowed: TUNNELLED_METHODS.iter().map(|m| (*m).to_owned()).collect(),
            });
            wire_method.to_owned()
        }
    }

    /// The security schemes the operation accepts (any alternative).
    fn schemes_of<'t>(&'t self, operation: &'t Operation) -> impl Iterator<Item = &'t SecurityScheme> {
        operation.security.iter().flatten().filter_map(|name| self.security_scheme(name))
    }

    fn check_query(&self, operation: &Operation, query: &[(String, String)], violations: &mut Vec<Violation>) {
        for (name, values) in group(query) {
            if name == METHOD_OVERRIDE_PARAMETER {
                // Judged by `effective_method`.
                continue;
            }
            if let Some(parameter) = operation.query_parameter(name) {
                if values.len() > 1 && parameter.kind != ParameterType::Array {
                    violations.push(Violation::RepeatedQueryParameter { name: name.to_owned() });
                }
                for value in values {
                    check_value(parameter, value, violations);
                }
                continue;
            }
            let by_security = self.schemes_of(operation).any(|scheme| {
                matches!(scheme, SecurityScheme::ApiKey { location: ApiKeyLocation::Query, parameter, .. } if parameter == name)
            });
            let undocumented = self
                .undocumented()
                .query_on_every_operation
                .iter()
                .chain(&operation.undocumented_query)
                .any(|extra| extra == name);
            if by_security || undocumented {
                if values.len() > 1 {
                    violations.push(Violation::RepeatedQueryParameter { name: name.to_owned() });
                }
            } else {
                violations.push(Violation::UnknownQueryParameter { name: name.to_owned() });
            }
        }
        for parameter in operation.query.iter().filter(|p| p.required) {
            if !query.iter().any(|(name, _)| *name == parameter.name) {
                violations.push(Violation::MissingRequiredQueryParameter { name: parameter.name.clone() });
            }
        }
    }

    fn check_headers(&self, operation: &Operation, headers: &[(String, String)], violations: &mut Vec<Violation>) {
        for (name, value) in headers {
            if let Some(parameter) = operation.header_parameter(name) {
                check_value(parameter, value, violations);
                continue;
            }
            let lower = name.to_ascii_lowercase();
            let allowed = TRANSPORT_HEADERS.contains(&lower.as_str())
                || self.undocumented().headers.iter().any(|h| h.eq_ignore_ascii_case(&lower))
                || self.schemes_of(operation).any(|scheme| match scheme {
                    SecurityScheme::ApiKey { location: ApiKeyLocation::Header, parameter, .. } => {
                        parameter.eq_ignore_ascii_case(&lower)
                    }
                    SecurityScheme::ApiKey { location: ApiKeyLocation::Cookie, .. } => lower == "cookie",
                    SecurityScheme::Http { .. } => lower == "authorization",
                    SecurityScheme::ApiKey { location: ApiKeyLocation::Query, .. } => false,
                });
            if !allowed {
                violations.push(Violation::UnknownHeader { name: lower });
            }
        }
        for parameter in operation.headers.iter().filter(|p| p.required) {
            if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(&parameter.name)) {
                violations.push(Violation::MissingRequiredHeader { name: parameter.name.clone() });
            }
        }
    }
}

fn check_body(operation: &Operation, form: &[(String, String)], violations: &mut Vec<Violation>) {
    for (name, values) in group(form) {
        if let Some(parameter) = operation.body_parameter(name) {
            if values.len() > 1 && parameter.kind != ParameterType::Array {
                violations.push(Violation::RepeatedBodyParameter { name: name.to_owned() });
            }
            for value in values {
                check_value(parameter, value, violations);
            }
        } else if operation.undocumented_body.iter().any(|extra| extra == name) {
            if values.len() > 1 {
                violations.push(Violation::RepeatedBodyParameter { name: name.to_owned() });
            }
        } else if !operation.additional_body_parameters {
            violations.push(Violation::UnknownBodyParameter { name: name.to_owned() });
        }
    }
    for parameter in operation.body.iter().filter(|p| p.required) {
        if !form.iter().any(|(name, _)| *name == parameter.name) {
            violations.push(Violation::MissingRequiredBodyParameter { name: parameter.name.clone() });
        }
    }
}

/// Pairs grouped by name, names in order of first appearance.
fn group(pairs: &[(String, String)]) -> Vec<(&str, Vec<&str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for (name, value) in pairs {
        match groups.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value),
            None => groups.push((name, vec![value])),
        }
    }
    groups
}

/// Checks one wire value of a documented parameter against its type and enum.
fn check_value(parameter: &Parameter, value: &str, violations: &mut Vec<Violation>) {
    if value.is_empty() && parameter.nullable {
        return;
    }
    if parameter.kind == ParameterType::Array {
        let element_type = parameter.items.unwrap_or(ParameterType::Any);
        let elements: Vec<&str> = match parameter.style.as_deref() {
            Some("spaceDelimited") => value.split(' ').collect(),
            Some("pipeDelimited") => value.split('|').collect(),
            _ => vec![value],
        };
        for element in elements {
            check_scalar(parameter, element_type, element, violations);
        }
    } else {
        check_scalar(parameter, parameter.kind, value, violations);
    }
}

fn check_scalar(parameter: &Parameter, kind: ParameterType, value: &str, violations: &mut Vec<Violation>) {
    let well_typed = match kind {
        ParameterType::Boolean => matches!(value, "true" | "false"),
        ParameterType::Integer => value.parse::<i64>().is_ok(),
        ParameterType::Number => value.parse::<f64>().is_ok_and(f64::is_finite),
        ParameterType::String | ParameterType::Array | ParameterType::Object | ParameterType::Any => true,
    };
    if !well_typed {
        violations.push(Violation::ValueNotOfType {
            name: parameter.name.clone(),
            value: value.to_owned(),
            expected: kind,
        });
        return;
    }
    if !parameter.allowed.is_empty() && !parameter.allowed.iter().any(|a| a == value) {
        violations.push(Violation::ValueNotInEnum {
            name: parameter.name.clone(),
            value: value.to_owned(),
            allowed: parameter.allowed.clone(),
        });
    }
}
