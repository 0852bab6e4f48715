//! Checking every request against Clerk's spec (clerk-spec's table plus `undocumented.json`),
//! and answering violations with Clerk's error envelope.

use clerk_spec::{RequestShape, SpecTable, Violation};

use crate::error::ApiError;
use crate::request::RecordedRequest;

/// A request that the spec does not document, as [`crate::MockServer::violations`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecViolation {
    /// The offending request.
    pub request: RecordedRequest,
    /// Every way it departs from the spec.
    pub violations: Vec<Violation>,
}

/// Validates a request; `Err` carries the violations.
pub(crate) fn validate(spec: &SpecTable, request: &RecordedRequest) -> Result<(), Vec<Violation>> {
    let shape = RequestShape {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &request.headers,
        form: &request.form,
    };
    spec.validate(&shape).map(|_| ())
}

/// The error answer for violations: one error per violation, naming the parameter in
/// `meta.param_name`; the status of the first (404 for an undocumented operation, 400 for
/// transport-level problems, 422 for parameters).
pub(crate) fn violation_errors(violations: &[Violation]) -> (u16, Vec<ApiError>) {
    let errors: Vec<ApiError> = violations.iter().map(violation_error).collect();
    let status = errors.first().map_or(422, |e| e.status);
    (status, errors)
}

fn violation_error(violation: &Violation) -> ApiError {
    let text = violation.to_string();
    let with_status = |status: u16, error: ApiError| ApiError { status, ..error };
    match violation {
        Violation::UnknownOperation { .. } => ApiError::new(404, "resource_not_found", "not found", &text),
        Violation::UnknownQueryParameter { name } | Violation::UnknownBodyParameter { name } => {
            ApiError::form("form_param_unknown", name, "is unknown", &text)
        }
        Violation::UnknownHeader { name } => {
            with_status(400, ApiError::form("form_param_unknown", name, "is unknown", &text))
        }
        Violation::MissingRequiredBodyParameter { name }
        | Violation::MissingRequiredQueryParameter { name }
        | Violation::MissingRequiredHeader { name } => ApiError::form("form_param_missing", name, "is missing", &text),
        Violation::ValueNotInEnum { name, .. } => ApiError::form("form_param_value_invalid", name, "is invalid", &text),
        Violation::ValueNotOfType { name, .. }
        | Violation::RepeatedQueryParameter { name }
        | Violation::RepeatedBodyParameter { name } => {
            ApiError::form("form_param_format_invalid", name, "is invalid", &text)
        }
        Violation::MethodOverrideNotOnPost { .. } => {
            with_status(400, ApiError::form("form_param_value_invalid", "_method", "is invalid", &text))
        }
        Violation::BodyOnGet => with_status(400, ApiError::form("form_param_unknown", "body", "is unknown", &text)),
        _ => ApiError::new(422, "form_param_unknown", "is invalid", &text),
    }
}
