//! Tombstones: what a local-only change cleared, kept out of answers to requests queued
//! before it (design §7.4).
//!
//! Signing out of every session and `destroy` clear the whole identity: they void every
//! earlier answer through [`Client::cleared_epoch`]. Signing out of *one* session and
//! `reset_sign_in` / `reset_sign_up` clear one thing only, so an earlier answer is still
//! applied for everything else (a pending `set_active` of another session, the active
//! session's token refresh, …) and only that one thing is taken out of it: the session
//! signed out of (not listed, its piggybacked token not cached, a token fetched for it not
//! cached, a reverification of it not kept), or the attempt slot that was reset (left
//! empty, no external-verification URL announced).
//!
//! Requests are stamped with the epoch they were queued in, and such a change bumps the
//! epoch, so "queued before the change" is "stamped with an earlier epoch". With one
//! request on the wire and a FIFO queue, the server also handles them before anything
//! queued after the change. A tombstone is dropped as soon as no request queued before it
//! is left (answered, dropped or never sent): there are never more than the sessions and
//! attempt slots cleared while a request was outstanding. Tombstones are not persisted:
//! no request outlives a restart.

use super::*;

/// What a local-only change cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cleared {
    /// The session signed out of by `sign_out(Some(id))`.
    Session(Text),
    /// The sign-in slot emptied by `reset_sign_in`.
    SignIn,
    /// The sign-up slot emptied by `reset_sign_up`.
    SignUp,
}

/// A cleared thing and the epoch of the change: answers to requests stamped with an
/// earlier epoch do not bring it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tombstone {
    cleared: Cleared,
    epoch: u64,
}

impl Client {
    /// Bumps the epoch and records that `cleared` must stay cleared for answers to the
    /// requests queued so far.
    pub(super) fn bury(&mut self, cleared: Cleared) {
        self.epoch = self.epoch.saturating_add(1);
        self.tombstones.retain(|tombstone| tombstone.cleared != cleared);
        self.tombstones.push(Tombstone { cleared, epoch: self.epoch });
        self.prune_tombstones();
    }

    /// Whether an answer to `in_flight` comes from before the last sign-out of every
    /// session or destroy: then it changes no identity at all.
    pub(super) fn voided(&self, in_flight: &InFlight) -> bool {
        in_flight.request.epoch < self.cleared_epoch
    }

    /// Whether `cleared` was cleared after `in_flight` was queued.
    pub(super) fn hidden(&self, in_flight: &InFlight, cleared: &Cleared) -> bool {
        self.tombstones
            .iter()
            .any(|tombstone| tombstone.cleared == *cleared && in_flight.request.epoch < tombstone.epoch)
    }

    /// Whether the session was signed out of after `in_flight` was queued.
    pub(super) fn session_hidden(&self, in_flight: &InFlight, session_id: &str) -> bool {
        self.tombstones.iter().any(|tombstone| {
            in_flight.request.epoch < tombstone.epoch
                && matches!(&tombstone.cleared, Cleared::Session(id) if id == session_id)
        })
    }

    /// Takes out of a client from an answer to `in_flight` what was cleared after the
    /// request was queued: the sessions signed out of (with their piggybacked tokens) and
    /// the reset attempts. The slot of a reset attempt stays empty: nothing queued before
    /// the reset can have filled it since (one request at a time, in order).
    pub(super) fn hide_cleared(&self, in_flight: &InFlight, client: &mut ClientResource) {
        if !self.tombstones.iter().any(|tombstone| in_flight.request.epoch < tombstone.epoch) {
            return;
        }
        client.sessions.retain(|session| !self.session_hidden(in_flight, &session.id));
        if self.hidden(in_flight, &Cleared::SignIn) {
            client.sign_in = None;
        }
        if self.hidden(in_flight, &Cleared::SignUp) {
            client.sign_up = None;
        }
    }

    /// Drops the tombstones no outstanding request predates.
    pub(super) fn prune_tombstones(&mut self) {
        let oldest = self
            .in_flight
            .iter()
            .map(|in_flight| &in_flight.request)
            .chain(self.queue.iter())
            .map(|queued| queued.epoch)
            .min();
        match oldest {
            Some(oldest) => self.tombstones.retain(|tombstone| oldest < tombstone.epoch),
            None => self.tombstones.clear(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    const KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";

    const THREE_SESSIONS: &str = r#"{"response":{"object":"client","id":"client_1","sessions":[
        {"object":"session","id":"sess_1","status":"active"},
        {"object":"session","id":"sess_2","status":"active"},
        {"object":"session","id":"sess_3","status":"active"}],
        "sign_in":null,"sign_up":null,"last_active_session_id":"sess_1"},"client":null}"#;

    fn now() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
    }

    /// Answers the next request with `body` (events before it are dropped).
    fn answer(client: &mut Client, body: &str) {
        let id = loop {
            match client.poll_output() {
                Output::Request(outgoing) => break outgoing.id,
                Output::Event(_) => {}
                other => panic!("expected a request, got {other:?}"),
            }
        };
        let response = HttpResponse::new(200, [("content-type", "application/json")], body.as_bytes().to_vec());
        client.handle_response(id, Ok(response), now()).expect("the request on the wire");
    }

    fn three_sessions() -> Client {
        let config = ClientConfig::from_publishable_key(KEY).expect("test key");
        let mut state = Client::new(config.clone(), now()).export();
        state.client_token = Some(ClientToken::new("token-1"));
        let mut client = Client::restore(config, state, now()).expect("restores");
        let _ = client.reload(now());
        answer(&mut client, THREE_SESSIONS);
        client
    }

    fn sign_out(client: &mut Client, id: &str) {
        let command = SessionCommand::SignOut { session_id: Some(id.to_owned()) };
        let _ = client.submit(Command::Session(command), now()).expect("accepted");
    }

    #[test]
    fn nothing_outstanding_needs_no_tombstone() {
        let mut client = three_sessions();
        let _ = client.reset_sign_in(now());
        assert!(client.tombstones.is_empty());
        sign_out(&mut client, "sess_3");
        assert!(client.tombstones.is_empty(), "only the remove, queued after it, is outstanding");
    }

    #[test]
    fn a_tombstone_lives_while_a_request_queued_before_it_is_outstanding() {
        let mut client = three_sessions();
        let _ = client.reload(now());
        let _ = client.reload(now());
        sign_out(&mut client, "sess_3");
        let _ = client.reset_sign_in(now());
        assert_eq!(client.tombstones.len(), 2);
        answer(&mut client, THREE_SESSIONS);
        assert_eq!(client.tombstones.len(), 2, "the second reload was queued before both");
        assert!(client.session("sess_3").is_none());
        assert!(client.session("sess_2").is_some());
        answer(&mut client, THREE_SESSIONS);
        // The remove of sess_3 was queued before the reset, not before the sign-out.
        assert_eq!(client.tombstones.len(), 1);
        assert!(client.session("sess_3").is_none());
        answer(&mut client, r#"{"response":{"object":"session","id":"sess_3","status":"removed"},"client":null}"#);
        assert!(client.tombstones.is_empty(), "no request queued before them is left");
    }

    #[test]
    fn a_sign_out_of_every_session_or_a_restart_drops_them() {
        let mut client = three_sessions();
        let _ = client.reload(now());
        sign_out(&mut client, "sess_3");
        assert_eq!(client.tombstones.len(), 1);
        let restored = Client::restore(client.config().clone(), client.export(), now()).expect("restores");
        assert!(restored.tombstones.is_empty());
        let _ = client.submit(Command::Session(SessionCommand::SignOut { session_id: None }), now());
        assert!(client.tombstones.is_empty());
    }
}
