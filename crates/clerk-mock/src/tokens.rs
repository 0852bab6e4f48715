//! Session tokens: RS256 JWTs signed with the committed test-only key, and the JWKS that
//! verifies them.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair, RsaPublicKeyComponents};
use serde_json::{Value, json};

/// The TEST-ONLY private key (PKCS#8 PEM). It is public; never trust what it signs.
const TEST_KEY_PEM: &str = include_str!("test_key.pem");

/// The `kid` of the test key in JWT headers and the JWKS.
pub(crate) const KEY_ID: &str = "ins_clerk_mock_test_only";

/// Signs session JWTs with the test key.
#[derive(Debug)]
pub(crate) struct SessionTokenSigner {
    key: RsaKeyPair,
    rng: SystemRandom,
}

/// The test key could not be loaded (a build problem of this crate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyError(pub(crate) String);

impl SessionTokenSigner {
    /// The signer with the embedded test key.
    pub(crate) fn test_key() -> Result<Self, KeyError> {
        let body: String = TEST_KEY_PEM
            .lines()
            .skip_while(|line| !line.starts_with("-----BEGIN PRIVATE KEY-----"))
            .skip(1)
            .take_while(|line| !line.starts_with("-----END"))
            .collect();
        let der = STANDARD.decode(body.trim()).map_err(|e| KeyError(e.to_string()))?;
        let key = RsaKeyPair::from_pkcs8(&der).map_err(|e| KeyError(e.to_string()))?;
        Ok(Self { key, rng: SystemRandom::new() })
    }

    /// A compact RS256 JWT of `claims`, with header `{alg, kid, typ, cat, oiat}` (fapi.md §6.4).
    /// `oiat` ("origin issued at", s epoch, fapi.md §6.1) is what clients compare first when
    /// two tokens for the same session and organization compete (§6.4).
    pub(crate) fn sign(&self, claims: &Value, origin_issued_at: i64) -> String {
        let header = json!({
            "alg": "RS256",
            "kid": KEY_ID,
            "typ": "JWT",
            "cat": "cl_B7d4PD111AAA",
            "oiat": origin_issued_at,
        });
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0_u8; self.key.public().modulus_len()];
        // Signing with a valid key into a buffer of the modulus length does not fail; an empty
        // signature would make the token unverifiable, which a test would catch.
        if self.key.sign(&RSA_PKCS1_SHA256, &self.rng, signing_input.as_bytes(), &mut signature).is_err() {
            signature.clear();
        }
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The JWKS (`{"keys": [{kty, use, alg, kid, n, e}]}`) with the test key's public half.
    pub(crate) fn jwks(&self) -> Value {
        let components: RsaPublicKeyComponents<Vec<u8>> = self.key.public().into();
        json!({
            "keys": [{
                "kty": "RSA",
                "use": "sig",
                "alg": "RS256",
                "kid": KEY_ID,
                "n": URL_SAFE_NO_PAD.encode(strip_leading_zeros(&components.n)),
                "e": URL_SAFE_NO_PAD.encode(strip_leading_zeros(&components.e)),
            }]
        })
    }
}

/// A big-endian integer without leading zero bytes (JWK `n` and `e`).
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}
