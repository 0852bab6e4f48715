//! Hand-written golden requests (fapi.md §1.3–1.7, Appendix B) and the checks every golden
//! test applies: the exact method, path, query, headers and form body, conformance to the
//! spec, and the secret marks.

use clerk_core::{Field, HttpRequest, Method};

use crate::spec::assert_conforms;

/// The query every native request carries.
pub const NATIVE_QUERY: [(&str, &str); 2] = [("__clerk_api_version", "2026-05-12"), ("_is_native", "true")];

/// Headers of a native GET with the stored client token `token-1`.
pub const GET_HEADERS: [(&str, &str); 2] = [("authorization", "token-1"), ("x-mobile", "1")];

/// Headers of a native POST before the client has a token (fapi.md §1.6, Appendix B.1).
pub const FIRST_POST_HEADERS: [(&str, &str); 2] =
    [("x-mobile", "1"), ("content-type", "application/x-www-form-urlencoded")];

/// Headers of a native POST with the stored client token `token-1`.
pub const POST_HEADERS: [(&str, &str); 3] =
    [("authorization", "token-1"), ("x-mobile", "1"), ("content-type", "application/x-www-form-urlencoded")];

/// A request as fapi.md says it must look.
#[derive(Debug, Clone)]
pub struct Golden<'a> {
    /// The wire method.
    pub method: Method,
    /// The path.
    pub path: &'a str,
    /// The query, in order.
    pub query: Vec<(&'a str, &'a str)>,
    /// The headers, in order.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The exact form body; `None` for a request without a body (GET).
    pub body: Option<&'a str>,
}

/// The fields as `(name, value)` pairs, secrets exposed, for comparing with a golden list.
#[must_use]
pub fn plain(fields: &[Field]) -> Vec<(&str, &str)> {
    fields.iter().map(|f| (f.name.as_ref(), f.value.expose())).collect()
}

/// Checks `request` against `golden` field by field, and against the spec.
///
/// # Panics
/// On any difference.
pub fn check(request: &HttpRequest, golden: &Golden<'_>) {
    assert_eq!(request.method, golden.method, "method of {}", golden.path);
    assert_eq!(request.path, golden.path);
    assert_eq!(plain(&request.query), golden.query, "query of {}", golden.path);
    assert_eq!(plain(&request.headers), golden.headers, "headers of {}", golden.path);
    assert_eq!(
        request.form.as_ref().map(|_| request.body()),
        golden.body.map(str::to_owned),
        "body of {}",
        golden.path
    );
    assert_conforms(request);
}

/// Names whose values are secrets wherever they appear (query, header or form), in every
/// request the engine builds: [`check_secret_marks`] wants exactly these marked secret.
pub const SECRET_NAMES: [&str; 10] = [
    "password",
    "code",
    "ticket",
    "token",
    "signature",
    "public_key_credential",
    "rotating_token_nonce",
    "authorization",
    "captcha_token",
    "__clerk_db_jwt",
];

/// Checks that every query, header and form field named in `secret_names` is marked secret
/// and no other is, and that the redacted body shows no secret value.
///
/// # Panics
/// On a wrong mark or a leak.
pub fn check_secret_marks(request: &HttpRequest, secret_names: &[&str]) {
    let fields = request.query.iter().chain(&request.headers).chain(request.form.iter().flatten());
    for field in fields {
        let secret = secret_names.contains(&field.name.as_ref());
        assert_eq!(field.value.is_secret(), secret, "secret mark of {} in {}", field.name, request.path);
        if secret && !field.value.expose().is_empty() {
            assert!(
                !request.redacted_body().contains(field.value.expose()),
                "{} leaks into the redacted body of {}",
                field.name,
                request.path
            );
        }
    }
}
