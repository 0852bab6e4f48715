//! The in-memory cache of session tokens.
//!
//! Session JWTs are never persisted and never kept inside the client view: every token
//! that arrives (a session's piggybacked `last_active_token`, later the token endpoint)
//! lands here, keyed by session. Remaining life is counted from the token's arrival with
//! its own `exp − iat`, never from the device clock (design §7.10). A token issued before
//! the newest one seen counts as having arrived that much before the newest did, so one
//! handed over again after the cache forgot it is not given a second life.

use std::collections::BTreeMap;

use time::{Duration, OffsetDateTime};

use crate::jwt::{SessionClaims, decode_claims};
use crate::secret::SessionJwt;
use crate::wire::Text;

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

/// What a cached token is for: session + template + organization (design §7.10).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenKey {
    /// The session.
    pub session_id: Text,
    /// The JWT template, `None` for the default session token.
    pub template: Option<Text>,
    /// The organization, `None` for the personal account.
    pub organization_id: Option<Text>,
}

/// Session tokens by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TokenCache {
    entries: BTreeMap<TokenKey, CachedToken>,
    /// The newest token seen, of any key: its `iat` (server seconds) and when it arrived
    /// (engine time). It outlives the entries it came from (a cleared cache, a forgotten
    /// session), so that a token issued earlier and handed over again later is aged from
    /// this anchor instead of from its late arrival.
    newest_issue: Option<(i64, OffsetDateTime)>,
}

impl TokenCache {
    /// Offers a token for `key`. A malformed token, or one whose `sid` names another
    /// session, is dropped; a token never replaces a fresher one for the same key. Returns
    /// whether it was kept.
    pub(crate) fn offer(&mut self, key: &TokenKey, jwt: SessionJwt, now: OffsetDateTime) -> bool {
        self.offer_arrived(key, jwt, now, false)
    }

    /// Offers a token the token endpoint minted for a request just answered: it lives from
    /// now whatever its `iat`, so one token with an `iat` ahead of the server's later
    /// clock (a node's clock that stepped back) costs other tokens their piggybacked
    /// seeds, never a fetched token its life. It moves the anchor only forward, as any
    /// token does: a token handed over again later is still aged from the newest `iat`.
    /// As [`offer`](Self::offer) otherwise.
    pub(crate) fn offer_fetched(&mut self, key: &TokenKey, jwt: SessionJwt, now: OffsetDateTime) -> bool {
        self.offer_arrived(key, jwt, now, true)
    }

    fn offer_arrived(&mut self, key: &TokenKey, jwt: SessionJwt, now: OffsetDateTime, fetched: bool) -> bool {
        // The token already cached, piggybacked again on a later answer (the usual case):
        // nothing to decode, and an equal token never supersedes itself.
        if self.entries.get(key).is_some_and(|current| current.jwt.expose() == jwt.expose()) {
            return false;
        }
        let Ok(claims) = decode_claims(jwt.expose()) else {
            return false;
        };
        if claims.sid.as_deref().is_some_and(|sid| sid != key.session_id) {
            return false;
        }
        // An entry past its `exp` is evicted (fapi.md §6.4): it competes with nothing (an
        // expired token with `oiat` would otherwise beat every later token without one).
        if let Some(current) = self.entries.get(key)
            && current.expires_at() > now
            && !current.is_superseded_by(&claims)
        {
            return false;
        }
        let aged = self.arrival_of(claims.iat, now);
        let received_at = if fetched { now } else { aged };
        // A new key owns its strings, so a cached token does not keep the answer it was
        // first keyed from alive (`wire::text`); an existing key is kept as it is.
        if let Some(current) = self.entries.get_mut(key) {
            *current = CachedToken { jwt, claims, received_at };
        } else {
            let key = TokenKey {
                session_id: key.session_id.detach(),
                template: key.template.as_ref().map(Text::detach),
                organization_id: key.organization_id.as_ref().map(Text::detach),
            };
            self.entries.insert(key, CachedToken { jwt, claims, received_at });
        }
        true
    }

    /// When a token issued at `iat` (server seconds) counts as having arrived, for a token
    /// arriving at `now`. A token newer than any seen so far was just minted: it arrived
    /// now, and becomes the anchor (so a device clock that jumps is followed by the next
    /// fresh token). A token issued no later than the anchor arrived at most as long
    /// before the anchor's arrival as it was issued before the anchor: a token minted a
    /// minute ago and handed over again now (after the cache forgot it) has a minute less
    /// to live, not a fresh lifetime. Remaining life is still never read from the device
    /// clock against the server's (design §7.10): only server times are compared, and
    /// engine times.
    fn arrival_of(&mut self, iat: i64, now: OffsetDateTime) -> OffsetDateTime {
        match self.newest_issue {
            Some((newest, anchor)) if iat <= newest => {
                anchor.saturating_sub(Duration::seconds(newest.saturating_sub(iat))).min(now)
            }
            _ => {
                self.newest_issue = Some((iat, now));
                now
            }
        }
    }

    /// The cached token for `key`, whatever its remaining life.
    pub(crate) fn get(&self, key: &TokenKey) -> Option<&CachedToken> {
        self.entries.get(key)
    }

    /// The cached token for `key` if it has more than `leeway` left at `now`.
    pub(crate) fn usable(&self, key: &TokenKey, now: OffsetDateTime, leeway: time::Duration) -> Option<&CachedToken> {
        self.entries.get(key).filter(|cached| cached.expires_at() - now > leeway)
    }

    /// Drops every token of one session.
    pub(crate) fn forget_session(&mut self, session_id: &str) {
        self.entries.retain(|key, _| key.session_id != session_id);
    }

    /// Keeps the tokens of the sessions `keep` says yes to, drops the rest.
    pub(crate) fn retain_sessions(&mut self, keep: impl Fn(&str) -> bool) {
        self.entries.retain(|key, _| keep(&key.session_id));
    }

    /// Drops everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use base64::Engine as _;

    use super::*;
    use crate::wire::text::SharedSource;

    fn jwt(claims: &str) -> SessionJwt {
        let enc = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        SessionJwt::new(format!("{}.{}.sig", enc.encode(r#"{"alg":"RS256"}"#), enc.encode(claims)))
    }

    #[test]
    fn a_new_key_does_not_keep_the_answer_it_came_from_alive() {
        let body = SharedSource::new(String::from(r#"["sess_1","org_1"]"#));
        let [session_id, organization_id]: [Text; 2] = body.decode(|text| serde_json::from_str(text)).expect("decodes");
        assert!(session_id.is_shared());
        let key = TokenKey { session_id, template: None, organization_id: Some(organization_id) };
        let mut cache = TokenCache::default();
        let now = OffsetDateTime::UNIX_EPOCH;
        assert!(cache.offer(&key, jwt(r#"{"exp":70,"iat":10,"sid":"sess_1"}"#), now));
        let (stored, _) = cache.entries.iter().next().expect("cached");
        assert_eq!(stored, &key);
        assert!(!stored.session_id.is_shared() && !stored.organization_id.as_ref().is_some_and(Text::is_shared));
        // A fresher token for the same key replaces the token, not the key.
        assert!(cache.offer(&key, jwt(r#"{"exp":80,"iat":20,"sid":"sess_1"}"#), now));
        assert_eq!(cache.entries.len(), 1);
        assert_eq!(cache.get(&key).map(|cached| cached.claims.iat), Some(20));
    }

    fn key(session_id: &str) -> TokenKey {
        TokenKey { session_id: session_id.into(), template: None, organization_id: None }
    }

    #[test]
    fn a_token_handed_over_again_after_it_was_forgotten_keeps_its_age() {
        let mut cache = TokenCache::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        let old = r#"{"iat":1000,"exp":1060,"sid":"sess_1"}"#;
        assert!(cache.offer(&key("sess_1"), jwt(old), start));
        // The cache forgets it (a session ended elsewhere clears it), and 50 s later an
        // answer hands the same token over again.
        cache.clear();
        let later = start + Duration::seconds(50);
        assert!(cache.offer(&key("sess_1"), jwt(old), later));
        let cached = cache.get(&key("sess_1")).expect("cached");
        assert_eq!(cached.expires_at(), start + Duration::seconds(60), "its life ran from when it first came");
        assert!(cache.usable(&key("sess_1"), start + Duration::seconds(100), Duration::ZERO).is_none());
        // Another session's older token is aged from the same anchor.
        assert!(cache.offer(&key("sess_2"), jwt(r#"{"iat":990,"exp":1050,"sid":"sess_2"}"#), later));
        assert_eq!(cache.get(&key("sess_2")).expect("cached").expires_at(), start + Duration::seconds(50));
    }

    #[test]
    fn a_freshly_minted_token_lives_from_its_arrival_whatever_the_clocks_did() {
        let mut cache = TokenCache::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        assert!(cache.offer(&key("sess_1"), jwt(r#"{"iat":1000,"exp":1060,"sid":"sess_1"}"#), start));
        // The device clock jumps an hour ahead; the next token, newer than any seen, was
        // just minted: its full minute counts from now.
        let jumped = start + Duration::hours(1);
        assert!(cache.offer(&key("sess_1"), jwt(r#"{"iat":1030,"exp":1090,"sid":"sess_1"}"#), jumped));
        assert_eq!(cache.get(&key("sess_1")).expect("cached").expires_at(), jumped + Duration::seconds(60));
        // And it is the new anchor: a token issued 10 s before it counts from 10 s before.
        assert!(cache.offer(&key("sess_2"), jwt(r#"{"iat":1020,"exp":1080,"sid":"sess_2"}"#), jumped));
        assert_eq!(cache.get(&key("sess_2")).expect("cached").expires_at(), jumped + Duration::seconds(50));
    }

    #[test]
    fn a_fetched_token_lives_from_its_arrival_even_behind_the_anchor() {
        let mut cache = TokenCache::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        // A token whose iat is an hour ahead of the server's later ones.
        assert!(cache.offer(&key("sess_1"), jwt(r#"{"iat":4600,"exp":4660,"sid":"sess_1"}"#), start));
        let later = start + Duration::seconds(61);
        assert!(cache.offer_fetched(&key("sess_1"), jwt(r#"{"iat":1061,"exp":1121,"sid":"sess_1"}"#), later));
        assert_eq!(cache.get(&key("sess_1")).expect("cached").expires_at(), later + Duration::seconds(60));
    }

    #[test]
    fn a_fetched_token_behind_the_anchor_does_not_move_it_back() {
        // P (iat 1000) arrives; a token fetched for another key has iat 995 (a node's
        // clock behind); P, forgotten and handed over again 50 s on, still dies at 60 s.
        let mut cache = TokenCache::default();
        let start = OffsetDateTime::UNIX_EPOCH;
        let p = r#"{"iat":1000,"exp":1060,"sid":"sess_1"}"#;
        assert!(cache.offer(&key("sess_1"), jwt(p), start));
        assert!(cache.offer_fetched(
            &key("sess_2"),
            jwt(r#"{"iat":995,"exp":1055,"sid":"sess_2"}"#),
            start + Duration::seconds(5)
        ));
        cache.clear();
        assert!(cache.offer(&key("sess_1"), jwt(p), start + Duration::seconds(50)));
        assert_eq!(cache.get(&key("sess_1")).expect("cached").expires_at(), start + Duration::seconds(60));
    }
}
