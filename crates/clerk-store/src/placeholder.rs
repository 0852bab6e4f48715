//! Numbered placeholders for the secrets of one transcript.
//!
//! Each distinct secret value gets `[redacted#N]`, numbered from 1 in the order secrets
//! first appear in the transcript, so a reader can still see that the token sent in
//! request 5 is the one received in response 3 without seeing the token.

use clerk_core::redact::{jwt_signature_starting_at, next_jwt_signature};

use std::collections::HashMap;

/// Secrets at least this long are also replaced where they turn up as plain text (a token
/// echoed in a body). Shorter ones (a six-digit code) would match unrelated text.
const MIN_SCANNED_SECRET_LEN: usize = 16;

/// The placeholder table of one transcript.
#[derive(Default)]
pub(crate) struct Placeholders {
    numbers: HashMap<String, u64>,
    next: u64,
    /// Long secrets seen so far, longest first, replaced wherever they occur.
    scanned: Vec<String>,
}

impl Placeholders {
    /// Remembers `secret` so that [`redact_text`](Self::redact_text) replaces it in plain
    /// text too, without numbering it yet.
    pub(crate) fn learn(&mut self, secret: &str) {
        if secret.len() >= MIN_SCANNED_SECRET_LEN && !self.scanned.iter().any(|known| known == secret) {
            self.scanned.push(secret.to_owned());
            self.scanned.sort_by_key(|known| std::cmp::Reverse(known.len()));
        }
    }

    /// The placeholder of a whole secret value. An empty value stays empty: there is
    /// nothing to hide in it.
    pub(crate) fn placeholder(&mut self, secret: &str) -> String {
        if secret.is_empty() {
            return String::new();
        }
        self.learn(secret);
        let number = match self.numbers.get(secret) {
            Some(number) => *number,
            None => {
                self.next = self.next.saturating_add(1);
                self.numbers.insert(secret.to_owned(), self.next);
                self.next
            }
        };
        format!("[redacted#{number}]")
    }

    /// Remembers a secret field's value as [`learn`](Self::learn) does, except that of a
    /// value that is a whole JWT only the signature is secret (see
    /// [`field_value`](Self::field_value)).
    pub(crate) fn learn_field_value(&mut self, value: &str) {
        match whole_jwt_signature(value) {
            Some(signature) => self.learn(value.get(signature).unwrap_or_default()),
            None => self.learn(value),
        }
    }

    /// What a transcript shows of a secret field's value: its placeholder, except that a
    /// value that is a whole JWT (a session token sent back as `expired_token`) keeps its
    /// header and claims, as it does everywhere else in a transcript, and only its
    /// signature is replaced, with the number that signature has everywhere else.
    pub(crate) fn field_value(&mut self, value: &str) -> String {
        match whole_jwt_signature(value)
            .and_then(|signature| Some((value.get(..signature.start)?, value.get(signature)?)))
        {
            Some((head, signature)) => format!("{head}{}", self.placeholder(signature)),
            None => self.placeholder(value),
        }
    }

    /// `text` with every known long secret replaced by its placeholder and the signature
    /// of every JWT (`eyJ….….…`, also spelled with JSON escapes; clerk-core's
    /// [`next_jwt_signature`]) replaced by one, header and claims kept. Everything else
    /// is copied exactly. Linear in the length of `text` (times the number of known
    /// secrets).
    pub(crate) fn redact_text(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        // The next JWT signature, looked for again only once `at` has gone past its start.
        let mut jwt = next_jwt_signature(text, 0);
        while let Some(rest) = text.get(at..).filter(|rest| !rest.is_empty()) {
            if jwt.as_ref().is_some_and(|signature| signature.start < at) {
                jwt = next_jwt_signature(text, at);
            }
            if let Some(secret) = self.scanned.iter().find(|secret| rest.starts_with(secret.as_str())).cloned() {
                out.push_str(&self.placeholder(&secret));
                at += secret.len();
                continue;
            }
            if let Some(signature) = jwt.clone().filter(|signature| signature.start == at) {
                out.push_str(&self.placeholder(text.get(signature.clone()).unwrap_or_default()));
                // An empty signature: nothing to replace; step over the character it
                // would have started at like any other.
                if !signature.is_empty() {
                    at = signature.end;
                    continue;
                }
            }
            let Some(c) = rest.chars().next() else { break };
            out.push(c);
            at += c.len_utf8();
        }
        out
    }
}

/// The signature's byte range when `value` is one whole JWT with a signature, and nothing
/// else.
fn whole_jwt_signature(value: &str) -> Option<std::ops::Range<usize>> {
    jwt_signature_starting_at(value, 0).filter(|signature| signature.end == value.len() && !signature.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_secrets_in_order_and_reuses_numbers() {
        let mut table = Placeholders::default();
        assert_eq!(table.placeholder("first"), "[redacted#1]");
        assert_eq!(table.placeholder("second"), "[redacted#2]");
        assert_eq!(table.placeholder("first"), "[redacted#1]");
        assert_eq!(table.placeholder(""), "");
    }

    #[test]
    fn keeps_jwt_header_and_claims() {
        let mut table = Placeholders::default();
        let text = r#"{"jwt":"eyJhbGc.eyJleHAiOjF9.c2lnbmF0dXJl","x":"eyJ","y":"eyJa.b."}"#;
        assert_eq!(table.redact_text(text), r#"{"jwt":"eyJhbGc.eyJleHAiOjF9.[redacted#1]","x":"eyJ","y":"eyJa.b."}"#);
        assert_eq!(table.redact_text("é eyJa.b.c é"), "é eyJa.b.[redacted#2] é");
    }

    #[test]
    fn replaces_long_known_secrets_in_text_but_not_short_ones() {
        let mut table = Placeholders::default();
        table.learn("a-long-client-token-value");
        table.learn("123456");
        assert_eq!(table.redact_text("token=a-long-client-token-value code 123456"), "token=[redacted#1] code 123456");
    }

    /// A JWT a server spelled with JSON escapes loses its signature in a transcript too,
    /// and a whole secret field that is one keeps its readable head.
    #[test]
    fn a_jwt_spelled_with_escapes_is_redacted() {
        let mut table = Placeholders::default();
        let text = r#"{"jwt":"\u0065yJhbGc.eyJleHAiOjF9\u002ec2lnbmF0dXJl","n":"a\u00e9"}"#;
        assert_eq!(table.redact_text(text), r#"{"jwt":"\u0065yJhbGc.eyJleHAiOjF9\u002e[redacted#1]","n":"a\u00e9"}"#);
        assert_eq!(
            table.field_value("eyJhbGc.eyJleHAiOjF9.c2lnbmF0dXJl"),
            "eyJhbGc.eyJleHAiOjF9.[redacted#1]",
            "the same signature, the same number"
        );
        assert_eq!(table.field_value("eyJhbGc.eyJleHAiOjF9."), "[redacted#2]", "no signature: all of it is hidden");
    }

    /// A long run that only looks like the start of JWTs is walked once: a hostile body
    /// costs time in proportion to its length, not its square.
    #[test]
    fn a_long_hostile_run_is_kept_whole() {
        let mut table = Placeholders::default();
        let text = format!("{}.", "eyJ".repeat(1 << 16));
        assert_eq!(table.redact_text(&text), text);
    }

    #[test]
    fn odd_input_does_not_panic() {
        let mut table = Placeholders::default();
        for text in ["", "eyJ", "eyJ.", "eyJa..c", "ééeyJ.é", "eyJa.b.c.d", "eyJa.b.c"] {
            let _ = table.redact_text(text);
        }
    }
}
