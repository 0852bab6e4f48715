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

/// Request headers the mock's HTTP side handles itself and the spec check does not see.
///
/// `cookie` carries the `__client` cookie the mock sets outside native mode; the spec names it
/// only where an operation lists the `ProductionBrowser` scheme (not `GET /v1/client` or
/// `POST /v1/client/sign_ins`), yet a browser sends its cookies on every request.
pub(crate) const MOCK_TRANSPORT_HEADERS: &[&str] = &["cookie"];

/// The request header that names the body's media type, as a violation names it.
const CONTENT_TYPE: &str = "content-type";

/// Validates a request; `Err` carries the violations. `has_body`: the request carried body
/// bytes (a body that decodes to no form parameters still needs a media type).
///
/// Beyond the spec table's check: a non-`GET` request with a body must say, in
/// `Content-Type`, a media type the operation accepts (parameters such as `; charset=utf-8`
/// do not count). When it does not, the body is not read as a form: that violation comes
/// first and the body's parameters are not judged.
pub(crate) fn validate(spec: &SpecTable, request: &RecordedRequest, has_body: bool) -> Result<(), Vec<Violation>> {
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .filter(|(name, _)| !MOCK_TRANSPORT_HEADERS.iter().any(|transport| name.eq_ignore_ascii_case(transport)))
        .cloned()
        .collect();
    let media_type_violation = if has_body { media_type_violation(spec, request) } else { None };
    // A body in a media type the operation does not take is not read as a form.
    let unreadable_body = media_type_violation.is_some();
    let shape = RequestShape {
        method: &request.method,
        path: &request.path,
        query: &request.query,
        headers: &headers,
        form: if unreadable_body { &[] } else { &request.form },
    };
    let mut violations = spec.validate(&shape).err().unwrap_or_default();
    if unreadable_body {
        violations.retain(|violation| !matches!(violation, Violation::MissingRequiredBodyParameter { .. }));
    }
    if let Some(violation) = media_type_violation {
        violations.insert(0, violation);
    }
    if violations.is_empty() { Ok(()) } else { Err(violations) }
}

/// Whether the body's `Content-Type` is one the operation accepts: `None` when it is (or when
/// the request is a `GET`, the operation is unknown, or it documents no body at all, which the
/// table's body check covers), else the violation: [`Violation::MissingRequiredHeader`] without
/// a `Content-Type`, [`Violation::ValueNotInEnum`] listing the accepted media types otherwise.
fn media_type_violation(spec: &SpecTable, request: &RecordedRequest) -> Option<Violation> {
    if request.effective_method == "GET" {
        return None;
    }
    let operation = spec.operation(&request.effective_method, &request.path)?;
    if operation.body_media_types.is_empty() {
        return None;
    }
    let Some(content_type) = request.header(CONTENT_TYPE) else {
        return Some(Violation::MissingRequiredHeader { name: CONTENT_TYPE.to_owned() });
    };
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if operation.body_media_types.iter().any(|accepted| accepted.eq_ignore_ascii_case(media_type)) {
        None
    } else {
        Some(Violation::ValueNotInEnum {
            name: CONTENT_TYPE.to_owned(),
            value: content_type.to_owned(),
            allowed: operation.body_media_types.clone(),
        })
    }
}

/// The error answer for violations: one error per violation, naming the parameter in
/// `meta.param_name`; the status of the first (404 for an undocumented operation, 400 for
/// transport-level problems such as an unaccepted body media type, 422 for parameters).
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
        Violation::MissingRequiredHeader { name } if name == CONTENT_TYPE => {
            with_status(400, ApiError::form("form_param_missing", name, "is missing", &text))
        }
        Violation::ValueNotInEnum { name, .. } if name == CONTENT_TYPE => {
            with_status(400, ApiError::form("form_param_value_invalid", name, "is invalid", &text))
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
