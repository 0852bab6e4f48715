//! The in-memory cache of session tokens.
//!
//! Session JWTs are never persisted and never kept inside the client view: every token
//! that arrives (a session's piggybacked `last_active_token`, later the token endpoint)
//! lands here, keyed by session. Remaining life is counted from the token's arrival with
//! its own `exp − iat`, never from the device clock (design §7.10).

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use crate::jwt::{SessionClaims, decode_claims};
use crate::secret::SessionJwt;

/// One cached token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedToken {
    /// The token.
    pub jwt: SessionJwt,
    /// Its claims (read without verification).
    pub claims: SessionClaims,
    /// The engine time at which it arrived.
    pub received_at: OffsetDateTime,
}

impl CachedToken {
    /// When the token expires, in engine time: arrival plus its lifetime.
    #[must_use]
    pub fn expires_at(&self) -> OffsetDateTime {
        self.received_at.saturating_add(Duration::seconds(self.claims.lifetime_seconds()))
    }

    /// Whether `candidate` is fresher than this token: greater header `oiat`, a token with
    /// `oiat` over one without, then greater `iat`; a full tie goes to the candidate.
    #[must_use]
    pub fn is_superseded_by(&self, candidate: &SessionClaims) -> bool {
        match (self.claims.oiat, candidate.oiat) {
            (Some(current), Some(new)) if current != new => new > current,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            _ => candidate.iat >= self.claims.iat,
        }
    }
}

/// Session tokens by session id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TokenCache {
    by_session: BTreeMap<String, CachedToken>,
}

impl TokenCache {
    /// Offers a token for `session_id`. A malformed token is dropped; an older token never
    /// replaces a fresher one for the same session. Returns whether it was kept.
    pub(crate) fn offer(&mut self, session_id: &str, jwt: SessionJwt, now: OffsetDateTime) -> bool {
        let Ok(claims) = decode_claims(jwt.expose()) else {
            return false;
        };
        if claims.sid.as_deref().is_some_and(|sid| sid != session_id) {
            return false;
        }
        if let Some(current) = self.by_session.get(session_id)
            && current.claims.org_id == claims.org_id
            && !current.is_superseded_by(&claims)
        {
            return false;
        }
        self.by_session.insert(session_id.to_owned(), CachedToken { jwt, claims, received_at: now });
        true
    }

    pub(crate) fn get(&self, session_id: &str) -> Option<&CachedToken> {
        self.by_session.get(session_id)
    }

    pub(crate) fn clear(&mut self) {
        self.by_session.clear();
    }
}
