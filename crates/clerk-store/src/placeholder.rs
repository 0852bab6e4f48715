//! Numbered placeholders for the secrets of one transcript.
//!
//! Each distinct secret value gets `[redacted#N]`, numbered from 1 in the order secrets
//! first appear in the transcript, so a reader can still see that the token sent in
//! request 5 is the one received in response 3 without seeing the token.

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
        match whole_jwt_signature_start(value) {
            Some(start) => self.learn(value.get(start..).unwrap_or_default()),
            None => self.learn(value),
        }
    }

    /// What a transcript shows of a secret field's value: its placeholder, except that a
    /// value that is a whole JWT (a session token sent back as `expired_token`) keeps its
    /// header and claims, as it does everywhere else in a transcript, and only its
    /// signature is replaced, with the number that signature has everywhere else.
    pub(crate) fn field_value(&mut self, value: &str) -> String {
        match whole_jwt_signature_start(value).and_then(|start| Some((value.get(..start)?, value.get(start..)?))) {
            Some((head, signature)) => format!("{head}{}", self.placeholder(signature)),
            None => self.placeholder(value),
        }
    }

    /// `text` with every known long secret replaced by its placeholder and the signature
    /// of every JWT (`eyJ….….…`) replaced by one, header and claims kept. Everything else
    /// is copied exactly.
    pub(crate) fn redact_text(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(secret) = self.scanned.iter().find(|secret| rest.starts_with(secret.as_str())).cloned() {
                out.push_str(&self.placeholder(&secret));
                rest = rest.get(secret.len()..).unwrap_or_default();
                continue;
            }
            if let Some((claims_end, token_end)) = jwt_extent(rest) {
                let (Some(head), Some(signature)) = (rest.get(..claims_end), rest.get(claims_end..token_end)) else {
                    break;
                };
                out.push_str(head);
                out.push_str(&self.placeholder(signature));
                rest = rest.get(token_end..).unwrap_or_default();
                continue;
            }
            out.push(c);
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
        out
    }
}

/// Where the signature starts when `value` is one whole JWT and nothing else.
fn whole_jwt_signature_start(value: &str) -> Option<usize> {
    jwt_extent(value).filter(|(_, end)| *end == value.len()).map(|(start, _)| start)
}

fn is_base64url(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || byte == b'='
}

/// When `text` starts with a JWT (`eyJ` header, claims, non-empty signature, each
/// base64url, dot-separated): the byte offset where the signature starts and where the
/// token ends.
fn jwt_extent(text: &str) -> Option<(usize, usize)> {
    if !text.starts_with("eyJ") {
        return None;
    }
    let bytes = text.as_bytes();
    let segment_end = |start: usize| {
        let len = bytes.get(start..)?.iter().take_while(|b| is_base64url(**b)).count();
        (len > 0).then_some(start + len)
    };
    let header_end = segment_end(0)?;
    (bytes.get(header_end) == Some(&b'.')).then_some(())?;
    let claims_end = segment_end(header_end + 1)?;
    (bytes.get(claims_end) == Some(&b'.')).then_some(())?;
    let signature_start = claims_end + 1;
    let token_end = segment_end(signature_start)?;
    Some((signature_start, token_end))
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

    #[test]
    fn odd_input_does_not_panic() {
        let mut table = Placeholders::default();
        for text in ["", "eyJ", "eyJ.", "eyJa..c", "ééeyJ.é", "eyJa.b.c.d", "eyJa.b.c"] {
            let _ = table.redact_text(text);
        }
    }
}
