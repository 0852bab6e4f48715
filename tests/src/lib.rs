//! Shared helpers for the cross-crate tests.
#![forbid(unsafe_code)]

pub mod harness;
pub mod spec;

/// tmp until the loader lands
pub fn canned_jwt(sid: &str, iat: i64, exp: i64) -> String {
    use base64::Engine as _;
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.c2ln",
        e.encode(r#"{"alg":"RS256"}"#),
        e.encode(format!(r#"{{"sid":"{sid}","iat":{iat},"exp":{exp}}}"#))
    )
}
