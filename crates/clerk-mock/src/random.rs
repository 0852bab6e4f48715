//! Randomness: ids, client tokens and one-time codes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};

const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The mock's source of randomness (the operating system's, through ring).
#[derive(Debug, Clone)]
pub(crate) struct Random {
    rng: SystemRandom,
}

impl Random {
    pub(crate) fn new() -> Self {
        Self { rng: SystemRandom::new() }
    }

    fn bytes<const N: usize>(&self) -> [u8; N] {
        let mut buf = [0_u8; N];
        // The system RNG does not fail on supported platforms; a zeroed buffer is still a
        // valid (if predictable) id for a test server.
        let _ = self.rng.fill(&mut buf);
        buf
    }

    /// An id shaped like Clerk's: `prefix_` and 27 alphanumerics (`sess_2b…`).
    pub(crate) fn id(&self, prefix: &str) -> String {
        let raw = self.bytes::<27>();
        let tail: String = raw.iter().map(|b| char::from(ALPHANUMERIC[usize::from(*b) % ALPHANUMERIC.len()])).collect();
        format!("{prefix}_{tail}")
    }

    /// A six-digit one-time code.
    pub(crate) fn code(&self) -> String {
        let raw = self.bytes::<4>();
        format!("{:06}", u32::from_be_bytes(raw) % 1_000_000)
    }

    /// An opaque client token that looks like a JWT (three base64url parts), naming the client
    /// and carrying 32 random bytes so that every rotation differs.
    pub(crate) fn client_token(&self, client_id: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"client"}"#);
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"id":"{client_id}"}}"#));
        let nonce = URL_SAFE_NO_PAD.encode(self.bytes::<32>());
        format!("{header}.{payload}.{nonce}")
    }
}
