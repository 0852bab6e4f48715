//! Redaction of raw bodies kept for diagnostics.
//!
//! Response bodies can carry session JWTs (`last_active_token`, token endpoints). When the
//! engine keeps a body (an undecodable answer inside an error, a response's `Debug`), it
//! shows it through [`redact_body`], which replaces the signature of every JWT-shaped run
//! with [`REDACTED`]. The header and claims stay readable (so
//! expiry can still be diagnosed); without its signature the token is useless to anyone
//! reading a log. The string values of the keys in [`SECRET_BODY_KEYS`] (a user's backup
//! codes, which the wire model holds as secrets) are replaced too
//! ([`redact_secret_values`]), and so is every dev-browser token (`dvb_…`, the answer of
//! `POST /v1/dev_browser`, fapi.md §1.8.3) after its prefix.

use crate::secret::REDACTED;

/// How many bytes of a body a redacted preview keeps at most.
pub const PREVIEW_LIMIT: usize = 4096;

/// Keys of answer-body fields whose string values (or arrays of strings) are secrets:
/// `backup_codes` (a user's backup codes on a phone number, fapi.md §4.7).
pub const SECRET_BODY_KEYS: &[&str] = &["backup_codes"];

/// The body as text (invalid UTF-8 replaced), truncated to [`PREVIEW_LIMIT`] bytes, with
/// every JWT signature, every dev-browser token and every value of a [`SECRET_BODY_KEYS`]
/// key replaced.
///
/// ```
/// use clerk_core::redact::redact_body;
///
/// let shown = redact_body(br#"{"backup_codes":["a1b2","c3d4"],"id":"idn_1"}"#);
/// assert_eq!(shown, r#"{"backup_codes":["[redacted]","[redacted]"],"id":"idn_1"}"#);
/// ```
#[must_use]
pub fn redact_body(body: &[u8]) -> String {
    let end = body.len().min(PREVIEW_LIMIT);
    let text = String::from_utf8_lossy(body.get(..end).unwrap_or(body));
    let text = redact_secret_values(&text, |_| String::from(REDACTED));
    let mut out = redact_dev_browser_tokens(&redact_jwts(&text));
    if body.len() > PREVIEW_LIMIT {
        out.push_str(&format!("…[{} more bytes]", body.len() - PREVIEW_LIMIT));
    }
    out
}

/// Replaces the contents of every JSON string that is the value of a [`SECRET_BODY_KEYS`]
/// key, or anywhere inside an array that is, with what `replace` gives for it (its raw,
/// still-escaped text). Keys are compared unescaped: a server may spell one with JSON
/// escapes (`"backup\u005fcodes"`) and it is still a secret key. Works on text, not on a
/// parsed document, so it also redacts a truncated or malformed body (an unterminated
/// string is replaced to the end); anything else is kept byte for byte.
#[must_use]
pub fn redact_secret_values(text: &str, mut replace: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(key_end) = next_secret_key_end(rest) {
        let (head, tail) = rest.split_at(key_end);
        out.push_str(head);
        rest = redact_value_after_key(tail, &mut out, &mut replace);
    }
    out.push_str(rest);
    out
}

/// serde's message for JSON that did not decode, safe to show. It can quote a string value
/// (`invalid type: string "…", expected a sequence`), which may be a secret (a backup code
/// where a list was expected, a client token in a stored state): every quoted string is
/// replaced, then JWT signatures. Field names (in backticks), positions and the kind of
/// problem stay.
#[must_use]
pub fn serde_reason(error: &serde_json::Error) -> String {
    redact_jwts(&redact_quoted(&error.to_string()))
}

/// `text` with the contents of every double-quoted run (`"…"`, backslash escapes
/// honoured; an unterminated one to the end) replaced with [`REDACTED`]: for messages that
/// quote values of an answer, such as serde's errors.
#[must_use]
pub fn redact_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        let (before, quoted) = rest.split_at(start);
        out.push_str(before);
        rest = redact_string(quoted, &mut out, &mut |_| String::from(REDACTED));
    }
    out.push_str(rest);
    out
}

/// Where the first quoted secret key in `text` ends (just past its closing quote). Every
/// `"` is tried as the start of a key, as a plain search for `"backup_codes"` would; a
/// key's characters may also be written as JSON escapes (`"backup\u005fcodes"`), decoded
/// one at a time where a backslash is met, so that text without one costs no more than
/// a comparison.
fn next_secret_key_end(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(offset) = text.get(from..)?.find('"') {
        let after_quote = from + offset + 1;
        let rest = text.as_bytes().get(after_quote..)?;
        if let Some(len) = SECRET_BODY_KEYS.iter().find_map(|key| spelled_key_len(rest, key)) {
            return Some(after_quote + len);
        }
        from = after_quote;
    }
    None
}

/// When `text` starts with `key` (each character as itself or as a JSON escape) and a
/// closing quote: how many bytes that takes, the quote included.
fn spelled_key_len(text: &[u8], key: &str) -> Option<usize> {
    let mut at = 0;
    for expected in key.bytes() {
        let (character, width) = match *text.get(at)? {
            b'\\' => unescape(text.get(at + 1..)?)?,
            byte => (u32::from(byte), 1),
        };
        if character != u32::from(expected) {
            return None;
        }
        at += width;
    }
    (text.get(at) == Some(&b'"')).then_some(at + 1)
}

/// The UTF-16 code unit a JSON escape stands for (`after` follows its backslash) and how
/// many bytes the escape takes, backslash included; `None` when it is no valid escape.
fn unescape(after: &[u8]) -> Option<(u32, usize)> {
    Some(match *after.first()? {
        b'u' => {
            let unit = after
                .get(1..5)?
                .iter()
                .try_fold(0_u32, |unit, digit| Some(unit * 16 + char::from(*digit).to_digit(16)?))?;
            (unit, 6)
        }
        b'b' => (0x08, 2),
        b'f' => (0x0c, 2),
        b'n' => (u32::from(b'\n'), 2),
        b'r' => (u32::from(b'\r'), 2),
        b't' => (u32::from(b'\t'), 2),
        byte @ (b'"' | b'\\' | b'/') => (u32::from(byte), 2),
        _ => return None,
    })
}

/// Copies `text` (what follows a secret key) to `out` with the key's string values
/// replaced; returns what is left after the value (or after whatever did not look like one).
fn redact_value_after_key<'a>(text: &'a str, out: &mut String, replace: &mut impl FnMut(&str) -> String) -> &'a str {
    let mut rest = copy_while(text, out, char::is_whitespace);
    let Some(after_colon) = rest.strip_prefix(':') else { return rest };
    out.push(':');
    rest = copy_while(after_colon, out, char::is_whitespace);
    if rest.starts_with('"') {
        return redact_string(rest, out, replace);
    }
    let Some(mut inside) = rest.strip_prefix('[') else { return rest };
    out.push('[');
    // Every string up to the matching `]`, whatever else the array holds (`null`, numbers,
    // nested arrays or objects): an odd element must not end the redaction early.
    let mut depth = 1_usize;
    while let Some(c) = inside.chars().next() {
        if c == '"' {
            inside = redact_string(inside, out, replace);
            continue;
        }
        out.push(c);
        inside = inside.get(c.len_utf8()..).unwrap_or_default();
        match c {
            '[' | '{' => depth += 1,
            ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    inside
}

/// `text` starts with `"`: writes the string with its contents replaced; returns the rest.
fn redact_string<'a>(text: &'a str, out: &mut String, replace: &mut impl FnMut(&str) -> String) -> &'a str {
    let body = text.get(1..).unwrap_or_default();
    let mut escaped = false;
    let end = body.char_indices().find_map(|(index, c)| {
        let closes = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        closes.then_some(index)
    });
    out.push('"');
    match end {
        Some(end) => {
            out.push_str(&replace(body.get(..end).unwrap_or_default()));
            out.push('"');
            body.get(end + 1..).unwrap_or_default()
        }
        None => {
            out.push_str(&replace(body));
            ""
        }
    }
}

/// Copies the leading characters of `text` that satisfy `keep` to `out`; returns the rest.
fn copy_while<'a>(text: &'a str, out: &mut String, keep: impl Fn(char) -> bool) -> &'a str {
    let end = text.char_indices().find(|(_, c)| !keep(*c)).map_or(text.len(), |(index, _)| index);
    let (kept, rest) = text.split_at(end);
    out.push_str(kept);
    rest
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '='
}

/// Replaces what follows `dvb_` in every dev-browser token (`dvb_` and ASCII letters and
/// digits, as `POST /v1/dev_browser` answers them) with [`REDACTED`], keeping the prefix.
fn redact_dev_browser_tokens(text: &str) -> String {
    const PREFIX: &str = "dvb_";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(PREFIX) {
        let (before, candidate) = rest.split_at(start + PREFIX.len());
        out.push_str(before);
        let after = copy_while(candidate, &mut String::new(), |c| c.is_ascii_alphanumeric());
        if after.len() < candidate.len() {
            out.push_str(REDACTED);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Replaces the third segment of every `eyJ…​.…​.…` run in `text` with [`REDACTED`].
/// Inside JSON text a server may spell any character with an escape (`\u0065yJ…`): a JWT
/// spelled so is recognised too ([`next_jwt_signature`]), and its signature replaced
/// whole, escapes and all.
#[must_use]
pub fn redact_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    while let Some(signature) = next_jwt_signature(text, copied) {
        out.push_str(text.get(copied..signature.start).unwrap_or_default());
        out.push_str(REDACTED);
        copied = signature.end;
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// The byte range of the signature of the first JWT in `text` that starts at or after
/// byte `from`: `eyJ`, then three dot-separated base64url segments (the signature may be
/// empty), each character written as itself or, inside JSON text, as an escape
/// (`\u0065yJ…`). The header and claims before the range are the token's readable part.
/// The range starts and ends on character boundaries.
///
/// Linear in the text it passes, even on hostile input: a run that is no JWT is walked
/// once, not once per `eyJ` in it. For anything that shows text that may hold session
/// tokens (error previews here, transcripts in `clerk-store`).
///
/// ```
/// use clerk_core::redact::next_jwt_signature;
///
/// let text = r#"{"jwt":"eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln"}"#;
/// let signature = next_jwt_signature(text, 0).expect("a JWT");
/// assert_eq!(&text[signature.clone()], "c2ln");
/// assert_eq!(next_jwt_signature(text, signature.end), None);
/// ```
#[must_use]
pub fn next_jwt_signature(text: &str, from: usize) -> Option<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut at = from;
    while at < bytes.len() {
        // Only `e` or a backslash (an escaped `e`) can start one.
        let offset = bytes.get(at..)?.iter().position(|byte| matches!(byte, b'e' | b'\\'))?;
        match jwt_signature_at(bytes, at + offset) {
            Ok((signature, end)) => return Some(signature..end),
            Err(next) => at = next,
        }
    }
    None
}

/// The byte range of the signature when a JWT (as [`next_jwt_signature`] finds them)
/// starts exactly at byte `at` of `text`.
#[must_use]
pub fn jwt_signature_starting_at(text: &str, at: usize) -> Option<std::ops::Range<usize>> {
    jwt_signature_at(text.as_bytes(), at).ok().map(|(signature, end)| signature..end)
}

/// When a JWT (`eyJ`, three dot-separated base64url segments, each character as itself
/// or as a JSON escape) starts at byte `start` of `bytes`: `Ok` with where its signature
/// starts and where it ends; otherwise `Err` with where the next one may start, past the
/// run just walked (none can start inside it: it holds fewer than two dots from any
/// point), so that a long hostile run costs one walk, not one per `eyJ` in it. Every
/// offset returned is on an ASCII character's boundary or past `start` by one byte.
fn jwt_signature_at(bytes: &[u8], start: usize) -> Result<(usize, usize), usize> {
    let mut at = start;
    for expected in *b"eyJ" {
        match spelled_ascii(bytes.get(at..).unwrap_or_default()) {
            Some((c, width)) if c == expected => at += width,
            _ if at == start => {
                let first = spelled_ascii(bytes.get(at..).unwrap_or_default()).map_or(1, |(_, width)| width);
                return Err(start + first);
            }
            _ => return Err(at),
        }
    }
    let (mut dots, mut segment_len, mut signature) = (0, 3, None);
    while let Some((c, width)) = spelled_ascii(bytes.get(at..).unwrap_or_default()) {
        if is_b64url(char::from(c)) {
            segment_len += 1;
        } else if c == b'.' && segment_len > 0 && dots < 2 {
            dots += 1;
            segment_len = 0;
            if dots == 2 {
                signature = Some(at + width);
            }
        } else {
            break;
        }
        at += width;
    }
    match signature {
        Some(signature) if dots == 2 => Ok((signature, at)),
        _ => Err(at),
    }
}

/// The ASCII character at the start of `bytes`, written as itself or as a JSON escape
/// (`\u0065`, `\/`), and how many bytes it takes; `None` for anything else (a byte of a
/// multi-byte character, an escape of something not ASCII, a broken escape).
fn spelled_ascii(bytes: &[u8]) -> Option<(u8, usize)> {
    match *bytes.first()? {
        b'\\' => {
            let (unit, width) = unescape(bytes.get(1..)?)?;
            u8::try_from(unit).ok().filter(u8::is_ascii).map(|c| (c, width))
        }
        byte if byte.is_ascii() => Some((byte, 1)),
        _ => None,
    }
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
    fn dev_browser_tokens_are_replaced_after_their_prefix() {
        let shown = redact_body(br#"{"object":"dev_browser","id":"dvb_2pWw3n7rX3IfFv53BGdnwQ4BB4K"}"#);
        assert_eq!(shown, r#"{"object":"dev_browser","id":"dvb_[redacted]"}"#);
        for text in ["dvb_", "dvb_é", "xdvb_", "dvb_a:0:0 dvb_b", "é dvb_1"] {
            let shown = redact_dev_browser_tokens(text);
            assert!(!shown.contains("dvb_a") && !shown.contains("dvb_b") && !shown.contains("dvb_1"), "{shown}");
        }
        assert_eq!(redact_dev_browser_tokens("dvb_ é"), "dvb_ é");
    }

    #[test]
    fn empty_signature_and_odd_input_do_not_panic() {
        for text in ["eyJ", "eyJ.", "eyJa.b.", "eyJa..c", "ééeyJ.é", "eyJa.b.c.d"] {
            let _ = redact_jwts(text);
        }
        assert_eq!(redact_jwts("no tokens"), "no tokens");
    }

    #[test]
    fn secret_values_are_replaced_wherever_and_however_they_are_written() {
        let redact = |text: &str| redact_secret_values(text, |_| String::from("X"));
        assert_eq!(redact(r#"{"backup_codes" : [ "a" , "b\"c" ],"n":1}"#), r#"{"backup_codes" : [ "X" , "X" ],"n":1}"#);
        assert_eq!(redact(r#"{"backup_codes":"one"}"#), r#"{"backup_codes":"X"}"#);
        assert_eq!(redact(r#"{"backup_codes":null,"code":"kept"}"#), r#"{"backup_codes":null,"code":"kept"}"#);
        // An odd element does not end the array early; nested strings are redacted too.
        assert_eq!(
            redact(r#"{"backup_codes":["a",null,1,["b",{"c":"d"}],"e"],"next":"kept"}"#),
            r#"{"backup_codes":["X",null,1,["X",{"X":"X"}],"X"],"next":"kept"}"#
        );
        assert_eq!(
            redact(r#"[{"backup_codes":["a"]},{"backup_codes":["b"]}]"#),
            r#"[{"backup_codes":["X"]},{"backup_codes":["X"]}]"#
        );
        // Truncated in the middle of a code: the rest is replaced.
        assert_eq!(redact(r#"{"backup_codes":["abc"#), r#"{"backup_codes":["X"#);
        assert_eq!(redact(r#"{"backup_codes""#), r#"{"backup_codes""#);
        assert_eq!(redact("no secrets é"), "no secrets é");
        // The raw (escaped) text goes to the replacement.
        let mut seen = Vec::new();
        let _ = redact_secret_values(r#"{"backup_codes":["a\u0062"]}"#, |raw| {
            seen.push(raw.to_owned());
            String::new()
        });
        assert_eq!(seen, [r"a\u0062"]);
    }

    #[test]
    fn a_key_spelled_with_escapes_is_still_a_secret_key() {
        let redact = |text: &str| redact_secret_values(text, |_| String::from("X"));
        assert_eq!(redact(r#"{"backup\u005fcodes":["a1b2"]}"#), r#"{"backup\u005fcodes":["X"]}"#);
        assert_eq!(redact(r#"{"\u0062ackup_code\u0073" : "one"}"#), r#"{"\u0062ackup_code\u0073" : "X"}"#);
        assert_eq!(redact(r#"{"backup\u005Fcodes":["a"],"n":"kept"}"#), r#"{"backup\u005Fcodes":["X"],"n":"kept"}"#);
        // The first secret key wins whichever way either is spelled.
        assert_eq!(
            redact(r#"{"backup\u005fcodes":["a"],"backup_codes":["b"]}"#),
            r#"{"backup\u005fcodes":["X"],"backup_codes":["X"]}"#
        );
        // Keys that only look alike once escapes are misread stay as they are.
        for kept in [
            r#"{"backup\\u005fcodes":["a"]}"#,
            r#"{"backup\u005f\u0063odesx":["a"]}"#,
            r#"{"backup\ud800codes":["a"]}"#,
        ] {
            assert_eq!(redact(kept), kept);
        }
        // The canary: through the preview the engine shows, the value is gone.
        let shown = redact_body(br#"{"id":"idn_2","backup\u005fcodes":["bkp-canary-1"]}"#);
        assert!(!shown.contains("bkp-canary-1"), "{shown}");
    }

    #[test]
    fn odd_escapes_in_keys_do_not_panic() {
        for text in [
            r#"""#,
            r#""\"#,
            r#""\u"#,
            r#""\u00"#,
            r#""\u005f"#,
            r#""\ud800":["a"]"#,
            r#""\udc00\ud800":"a""#,
            r#""\xé\"#,
            "\"é\\u00é5f\":[\"a",
            r#""backup\u005fcodes"#,
            r#""backup\u005fcodes":"#,
            r#""backup\u005fcodes":["#,
        ] {
            let _ = redact_body(text.as_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn a_secret_key_is_recognised_however_its_characters_are_escaped(
            escaped in proptest::collection::vec(0..3_u8, SECRET_BODY_KEYS[0].len()),
            code in "[a-z0-9]{8}",
        ) {
            // Each character as itself, as `\u00xx` or as `\u00XX`.
            let key: String = SECRET_BODY_KEYS[0]
                .chars()
                .zip(&escaped)
                .map(|(c, how)| match how {
                    0 => c.to_string(),
                    1 => format!("\\u{:04x}", u32::from(c)),
                    _ => format!("\\u{:04X}", u32::from(c)),
                })
                .collect();
            let shown = redact_body(format!(r#"{{"id":"idn_1","{key}":["{code}"]}}"#).as_bytes());
            proptest::prop_assert!(!shown.contains(&code), "{}", shown);
        }

        /// A JWT whose characters a server spelled with JSON escapes, any of them, loses
        /// its signature as a plain one does, and the text around it is kept.
        #[test]
        fn a_jwt_is_recognised_however_its_characters_are_escaped(
            escaped in proptest::collection::vec(0..3_u8, 64),
            signature in "[A-Za-z0-9_-]{12,24}",
        ) {
            let jwt = format!("eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.{signature}");
            let spelled: String = jwt
                .chars()
                .zip(escaped.iter().cycle())
                .map(|(c, how)| match how {
                    0 => c.to_string(),
                    1 => format!("\\u{:04x}", u32::from(c)),
                    _ => format!("\\u{:04X}", u32::from(c)),
                })
                .collect();
            let text = format!(r#"{{"jwt":"{spelled}","after":"kept"}}"#);
            let shown = redact_jwts(&text);
            proptest::prop_assert!(!shown.contains(&signature), "{}", shown);
            proptest::prop_assert!(shown.contains(REDACTED), "{}", shown);
            proptest::prop_assert!(shown.ends_with(r#"","after":"kept"}"#), "{}", shown);
            let signature_at = text.find(&spelled).unwrap_or_default() + spelled.len();
            let claims_end = shown.find(REDACTED).unwrap_or_default();
            proptest::prop_assert!(text.get(..claims_end).is_some_and(|kept| shown.starts_with(kept)));
            proptest::prop_assert!(claims_end < signature_at, "the claims are kept as written");
        }

        #[test]
        fn any_text_is_redacted_without_panicking(text in r#"([\\"u0-9a-fA-F:\[\]{} ,_a-z]|\PC){0,64}"#) {
            let _ = redact_body(text.as_bytes());
            let _ = redact_quoted(&text);
        }
    }

    #[test]
    fn escaped_jwts_lose_their_signature_and_escapes_elsewhere_are_kept() {
        let text =
            r#"{"jwt":"\u0065yJhbGciOiJSUzI1NiJ9\u002eeyJleHAiOjF9.c2lnbmF0dXJl\u002dY2FuYXJ5","n":"a\u00e9\"eyJ"}"#;
        let shown = redact_jwts(text);
        assert_eq!(shown, r#"{"jwt":"\u0065yJhbGciOiJSUzI1NiJ9\u002eeyJleHAiOjF9.[redacted]","n":"a\u00e9\"eyJ"}"#);
        // An escaped backslash is a backslash, not the start of an escape.
        assert_eq!(redact_jwts(r#"\\u0065yJa.b.c"#), r#"\\u0065yJa.b.c"#);
        for text in [r#"\"#, r#"\u"#, r#"\u00"#, r#"e\u0079"#, r#"eyJa.b\"#, r#"é\u0065yJa.b.c"#] {
            let _ = redact_jwts(text);
        }
    }

    /// A long run of `eyJ` without the dots of a JWT is walked once, not once per `eyJ`:
    /// a hostile body costs time in proportion to its length.
    #[test]
    fn a_long_hostile_run_is_kept_whole() {
        for unit in ["eyJ", "eyJ-", "\\u0065yJ"] {
            let text = format!("{}.", unit.repeat(1 << 16));
            assert_eq!(redact_jwts(&text), text, "{unit}");
        }
    }

    #[test]
    fn quoted_runs_are_replaced() {
        assert_eq!(
            redact_quoted(r#"invalid type: string "s3cret", expected a sequence at line 1 column 9"#),
            r#"invalid type: string "[redacted]", expected a sequence at line 1 column 9"#
        );
        assert_eq!(redact_quoted(r#"missing field `response`"#), "missing field `response`");
        assert_eq!(redact_quoted(r#"a "b\"c" d "e"#), r#"a "[redacted]" d "[redacted]"#);
    }

    #[test]
    fn long_bodies_are_truncated() {
        let body = vec![b'a'; PREVIEW_LIMIT + 10];
        assert!(redact_body(&body).ends_with("[10 more bytes]"));
    }
}
