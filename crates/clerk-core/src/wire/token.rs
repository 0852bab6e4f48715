//! Session tokens (`TokenJSON`, `fapi.md` §4.7, §3.5.4).

use super::text::Text;
use serde::{Deserialize, Serialize};

use crate::secret::SessionJwt;

/// A session JWT as the server sends it: the unwrapped body of `…/tokens[/{template}]` and a
/// session's `last_active_token`.
///
/// The JWT is a [`SessionJwt`]: `Debug` never shows it, and serializing a `TokenResource`
/// writes a redacted placeholder (session JWTs are never persisted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct TokenResource {
    /// `"token"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The token id, when the server sends one.
    #[serde(default)]
    pub id: Option<Text>,
    /// The JWT itself.
    pub jwt: SessionJwt,
}

super::map_only::map_only!(TokenResource);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::TokenResource;

    #[test]
    fn jwt_is_required_and_never_shown() {
        let token: TokenResource = serde_json::from_str(r#"{"object":"token","jwt":"aaa.bbb.ccc"}"#).expect("decodes");
        assert_eq!(token.jwt.expose(), "aaa.bbb.ccc");
        assert!(!format!("{token:?}").contains("aaa.bbb.ccc"));
        assert!(!serde_json::to_string(&token).expect("encodes").contains("aaa.bbb.ccc"));
        let bare: TokenResource = serde_json::from_str(r#"{"jwt":"x.y.z"}"#).expect("decodes");
        assert_eq!(bare.object, None);
        assert!(serde_json::from_str::<TokenResource>(r#"{"object":"token"}"#).is_err());
        assert!(serde_json::from_str::<TokenResource>(r#"{"jwt":null}"#).is_err());
    }
}
