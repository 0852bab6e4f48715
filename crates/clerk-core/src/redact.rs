//! Redaction of raw bodies kept for diagnostics.
//!
//! Response bodies can carry session JWTs (`last_active_token`, token endpoints). When the
//! engine keeps a body (an undecodable answer inside an error, a response's `Debug`), it
//! shows it through [`redact_body`], which replaces the signature of every JWT-shaped run
//! with [`REDACTED`]. The header and claims stay readable (so
//! expiry can still be diagnosed); without its signature the token is useless to anyone
//! reading a log.

use crate::secret::REDACTED;

/// How many bytes of a body a redacted preview keeps at most.
pub const PREVIEW_LIMIT: usize = 4096;

/// The body as text (invalid UTF-8 replaced), truncated to [`PREVIEW_LIMIT`] bytes, with
/// every JWT signature replaced.
#[must_use]
pub fn redact_body(body: &[u8]) -> String {
    let end = body.len().min(PREVIEW_LIMIT);
    let text = String::from_utf8_lossy(body.get(..end).unwrap_or(body));
    let mut out = redact_jwts(&text);
    if body.len() > PREVIEW_LIMIT {
        out.push_str(&format!("…[{} more bytes]", body.len() - PREVIEW_LIMIT));
    }
    out
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '='
}

/// Replaces the third segment of every `eyJ…​.…​.…` run in `text` with [`REDACTED`].
#[must_use]
pub fn redact_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        let (before, candidate) = rest.split_at(start);
        out.push_str(before);
        // Walk three dot-separated base64url segments.
        let mut segments = 0;
        let mut end_of_claims = None;
        let mut end = 0;
        let mut segment_len = 0;
        for (index, c) in candidate.char_indices() {
            if is_b64url(c) {
                segment_len += 1;
                end = index + c.len_utf8();
            } else if c == '.' && segment_len > 0 && segments < 2 {
                segments += 1;
                if segments == 2 {
                    end_of_claims = Some(index);
                }
                segment_len = 0;
                end = index + 1;
            } else {
                break;
            }
        }
        match end_of_claims {
            Some(claims_end) if segments == 2 => {
                out.push_str(candidate.get(..claims_end).unwrap_or_default());
                out.push('.');
                out.push_str(REDACTED);
                rest = candidate.get(end..).unwrap_or_default();
            }
            _ => {
                out.push_str("eyJ");
                rest = candidate.get(3..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_jwt_signatures_and_keeps_claims() {
        let body = br#"{"jwt":"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJlLWNhbmFyeQ","x":"eyJ"}"#;
        let shown = redact_body(body);
        assert!(!shown.contains("c2lnbmF0dXJlLWNhbmFyeQ"), "{shown}");
        assert!(shown.contains("eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.[redacted]"), "{shown}");
        assert!(shown.ends_with(r#""x":"eyJ"}"#), "{shown}");
    }

    #[test]
    fn empty_signature_and_odd_input_do_not_panic() {
        for text in ["eyJ", "eyJ.", "eyJa.b.", "eyJa..c", "ééeyJ.é", "eyJa.b.c.d"] {
            let _ = redact_jwts(text);
        }
        assert_eq!(redact_jwts("no tokens"), "no tokens");
    }

    #[test]
    fn long_bodies_are_truncated() {
        let body = vec![b'a'; PREVIEW_LIMIT + 10];
        assert!(redact_body(&body).ends_with("[10 more bytes]"));
    }
}
