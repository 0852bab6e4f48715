//! Reading the claims of a session JWT, without verifying its signature.
//!
//! The engine reads `exp`, `iat`, `sid` and the organization claims to cache tokens and
//! schedule refreshes, exactly as clerk-js does; it never trusts them for authorization.
//! Verifying a token's signature is the job of the backend that receives it.

use base64::Engine as _;
use serde::Deserialize;

/// Why a token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwtError {
    /// Not three dot-separated parts.
    #[error("not a JWT: expected three dot-separated parts")]
    Shape,
    /// A part is not base64url.
    #[error("JWT {0} is not base64url")]
    Encoding(&'static str),
    /// A part is not the JSON object it should be.
    #[error("JWT {0} is not a JSON object")]
    Json(&'static str),
    /// `exp` or `iat` is missing, or `exp` is not after `iat`.
    #[error("JWT lacks a usable exp/iat")]
    Lifetime,
}

/// The claims of a session token that the engine uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionClaims {
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Origin-issued-at from the header (`oiat`), seconds, when present.
    pub oiat: Option<i64>,
    /// The session id (`sid`).
    pub sid: Option<String>,
    /// The user id (`sub`).
    pub sub: Option<String>,
    /// The organization (`o.id` in v2 tokens, `org_id` in v1).
    pub org_id: Option<String>,
}

impl SessionClaims {
    /// The token's lifetime in seconds (`exp − iat`), always positive.
    #[must_use]
    pub fn lifetime_seconds(&self) -> i64 {
        self.exp.saturating_sub(self.iat)
    }
}

#[derive(Deserialize)]
struct RawHeader {
    #[serde(default)]
    oiat: Option<i64>,
}

#[derive(Deserialize)]
struct RawOrg {
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    sid: Option<String>,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    o: Option<RawOrg>,
}

fn decode_part(part: &str, name: &'static str) -> Result<Vec<u8>, JwtError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Encoding(name))
}

/// Reads the claims of `jwt` without checking its signature.
///
/// # Errors
/// [`JwtError`] when the token is not a JWT or has no usable `exp`/`iat`.
pub fn decode_claims(jwt: &str) -> Result<SessionClaims, JwtError> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(_signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Shape);
    };
    let header: RawHeader =
        serde_json::from_slice(&decode_part(header, "header")?).map_err(|_| JwtError::Json("header"))?;
    let claims: RawClaims =
        serde_json::from_slice(&decode_part(claims, "claims")?).map_err(|_| JwtError::Json("claims"))?;
    let (Some(exp), Some(iat)) = (claims.exp, claims.iat) else {
        return Err(JwtError::Lifetime);
    };
    if exp <= iat {
        return Err(JwtError::Lifetime);
    }
    Ok(SessionClaims {
        exp,
        iat,
        oiat: header.oiat,
        sid: claims.sid,
        sub: claims.sub,
        org_id: claims.o.and_then(|o| o.id).or(claims.org_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(header: &str, claims: &str) -> String {
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", enc.encode(header), enc.encode(claims))
    }

    #[test]
    fn reads_claims_of_v1_and_v2_tokens() {
        let v2 = decode_claims(&jwt(
            r#"{"alg":"RS256","oiat":5}"#,
            r#"{"exp":70,"iat":10,"sid":"sess_1","o":{"id":"org_2"}}"#,
        ));
        assert_eq!(
            v2,
            Ok(SessionClaims {
                exp: 70,
                iat: 10,
                oiat: Some(5),
                sid: Some("sess_1".into()),
                sub: None,
                org_id: Some("org_2".into())
            })
        );
        let v1 = decode_claims(&jwt(r#"{}"#, r#"{"exp":70,"iat":10,"org_id":"org_1"}"#)).map(|c| c.org_id);
        assert_eq!(v1, Ok(Some("org_1".into())));
    }

    #[test]
    fn refuses_malformed_tokens() {
        assert_eq!(decode_claims("e30=.e30=.e30="), Err(JwtError::Lifetime));
        assert_eq!(decode_claims("a.b"), Err(JwtError::Shape));
        assert_eq!(decode_claims("a.b.c.d"), Err(JwtError::Shape));
        assert_eq!(decode_claims("!!.e30.x"), Err(JwtError::Encoding("header")));
        assert_eq!(decode_claims(&jwt("5", "{}")), Err(JwtError::Json("header")));
        assert_eq!(decode_claims(&jwt("{}", r#"{"exp":10,"iat":10}"#)), Err(JwtError::Lifetime));
        assert_eq!(decode_claims(&jwt("{}", r#"{"exp":"10","iat":1}"#)), Err(JwtError::Json("claims")));
    }
}
