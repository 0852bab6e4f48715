//! RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30 s), to check TOTP second factors.

use ring::hmac;

/// The code for `secret` (base32) at Unix time `unix_secs`, or `None` for a bad secret.
pub(crate) fn code_at(secret_base32: &str, unix_secs: i64) -> Option<String> {
    let key = decode_base32(secret_base32)?;
    let counter = u64::try_from(unix_secs / 30).ok()?;
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key), &counter.to_be_bytes());
    let digest = tag.as_ref();
    let offset = usize::from(digest.last()? & 0x0f);
    let window: [u8; 4] = digest.get(offset..offset + 4)?.try_into().ok()?;
    let value = u32::from_be_bytes(window) & 0x7fff_ffff;
    Some(format!("{:06}", value % 1_000_000))
}

/// Whether `code` is valid for `secret` at `unix_secs`, allowing one step of clock drift.
pub(crate) fn accepts(secret_base32: &str, unix_secs: i64, code: &str) -> bool {
    [-30, 0, 30].iter().any(|drift| code_at(secret_base32, unix_secs + drift).is_some_and(|c| c == code))
}

/// RFC 4648 base32 (upper or lower case, padding and spaces ignored).
fn decode_base32(text: &str) -> Option<Vec<u8>> {
    let mut bits: u64 = 0;
    let mut bit_count = 0_u32;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let value = match c.to_ascii_uppercase() {
            letter @ 'A'..='Z' => u64::from(letter) - u64::from('A'),
            digit @ '2'..='7' => u64::from(digit) - u64::from('2') + 26,
            _ => return None,
        };
        bits = (bits << 5) | value;
        bit_count += 5;
        if bit_count >= 8 {
            bit_count -= 8;
            out.push(u8::try_from((bits >> bit_count) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1: secret "12345678901234567890", T = 59 → 94287082 (8 digits),
    /// whose last six digits are 287082.
    #[test]
    fn rfc_6238_vector() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(code_at(secret, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(secret, 1_111_111_109).as_deref(), Some("081804"));
        assert!(accepts(secret, 89, "287082"));
        assert!(!accepts(secret, 200, "287082"));
    }
}
