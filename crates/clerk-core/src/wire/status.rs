//! Status enumerations of the Frontend API (`fapi.md` §4.10) and the other small string
//! enumerations that the engine branches on.
//!
//! Every enum keeps a value it does not know in its `Unknown` variant: the server adds
//! statuses over time (`needs_protect_check`, `needs_client_trust` and `pending` sessions all
//! arrived recently), and an unknown status must not make a whole client undecodable.

use super::string_enum::wire_string_enum;

wire_string_enum! {
    /// The status of a sign-in attempt (`sign_in.status`).
    pub enum SignInStatus {
        /// No identifier yet.
        NeedsIdentifier = "needs_identifier",
        /// Identified; a first factor must be verified (see `supported_first_factors`).
        NeedsFirstFactor = "needs_first_factor",
        /// First factor done; a second factor is required (see `supported_second_factors`).
        NeedsSecondFactor = "needs_second_factor",
        /// A reset-password code was verified; a new password must be set.
        NeedsNewPassword = "needs_new_password",
        /// First factor done on an untrusted device; a second factor establishes trust.
        NeedsClientTrust = "needs_client_trust",
        /// A Clerk Protect challenge gates the flow.
        NeedsProtectCheck = "needs_protect_check",
        /// A session was created (`created_session_id`).
        Complete = "complete",
        /// The attempt passed `abandon_at`.
        Abandoned = "abandoned",
    }
    /// A status this version does not know, kept verbatim.
    fallback Unknown;
}

wire_string_enum! {
    /// The status of a sign-up attempt (`sign_up.status`).
    pub enum SignUpStatus {
        /// Something is still listed in `missing_fields` or `unverified_fields`.
        MissingRequirements = "missing_requirements",
        /// The user and a session were created.
        Complete = "complete",
        /// The attempt passed `abandon_at`.
        Abandoned = "abandoned",
    }
    /// A status this version does not know, kept verbatim.
    fallback Unknown;
}

wire_string_enum! {
    /// The status of a session (`session.status`).
    pub enum SessionStatus {
        /// A normal signed-in session.
        Active = "active",
        /// Signed in, but after-authentication `tasks` remain.
        Pending = "pending",
        /// Ended by the user (sign-out, `…/end`).
        Ended = "ended",
        /// Reached `expire_at`.
        Expired = "expired",
        /// Removed from the client (`…/remove`, `DELETE /v1/client/sessions`).
        Removed = "removed",
        /// Inactive past `abandon_at`.
        Abandoned = "abandoned",
        /// Replaced by a newer session.
        Replaced = "replaced",
        /// Revoked from elsewhere (another device, the backend API).
        Revoked = "revoked",
    }
    /// A status this version does not know, kept verbatim.
    fallback Unknown;
}

impl SessionStatus {
    /// Whether a session in this status counts as signed in (`active` or `pending`), as
    /// clerk-js's `signedInSessions` does.
    #[must_use]
    pub fn is_signed_in(&self) -> bool {
        matches!(self, Self::Active | Self::Pending)
    }

    /// Whether the session can never become signed in again (ended, expired, removed,
    /// abandoned, replaced, revoked). An unknown status is not considered terminal.
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Ended | Self::Expired | Self::Removed | Self::Abandoned | Self::Replaced | Self::Revoked)
    }
}

wire_string_enum! {
    /// The status of a verification (`…_verification.status`, `verifications.*.status`).
    pub enum VerificationStatus {
        /// Prepared, waiting for an attempt.
        Unverified = "unverified",
        /// Verified.
        Verified = "verified",
        /// The proof was valid but no matching account exists on this side: move the flow
        /// to the other resource (sign-in ↔ sign-up).
        Transferable = "transferable",
        /// Too many attempts or a provider error (see `error`).
        Failed = "failed",
        /// Past `expire_at`.
        Expired = "expired",
    }
    /// A status this version does not know, kept verbatim.
    fallback Unknown;
}

wire_string_enum! {
    /// The status of a session reverification.
    pub enum ReverificationStatus {
        /// A first factor must be verified.
        NeedsFirstFactor = "needs_first_factor",
        /// A second factor must be verified.
        NeedsSecondFactor = "needs_second_factor",
        /// Reverification is done.
        Complete = "complete",
    }
    /// A status this version does not know, kept verbatim.
    fallback Unknown;
}

wire_string_enum! {
    /// The level a session reverification asks for.
    pub enum ReverificationLevel {
        /// A first factor.
        FirstFactor = "first_factor",
        /// A second factor.
        SecondFactor = "second_factor",
        /// Both a first and a second factor.
        MultiFactor = "multi_factor",
    }
    /// A level this version does not know, kept verbatim.
    fallback Unknown;
}

wire_string_enum! {
    /// The device-trust state of a sign-in (`sign_in.client_trust_state`).
    pub enum ClientTrustState {
        /// The user never had a session on this client.
        New = "new",
        /// The user had a session on this client before.
        Known = "known",
        /// No identifier yet.
        Pending = "pending",
    }
    /// A state this version does not know, kept verbatim.
    fallback Unknown;
}

wire_string_enum! {
    /// What the client should do next for a sign-up field (`verifications.*.next_action`).
    pub enum NextAction {
        /// A verification must be prepared.
        NeedsPrepare = "needs_prepare",
        /// A prepared verification waits for an attempt.
        NeedsAttempt = "needs_attempt",
        /// Nothing to do (the empty string on the wire).
        NoAction = "",
    }
    /// A value this version does not know, kept verbatim.
    fallback Unknown;
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    fn decode<T: serde::de::DeserializeOwned>(json: &str) -> T {
        serde_json::from_str(json).expect("decodes")
    }

    #[test]
    fn known_values_decode_to_their_variants_and_back() {
        for wire in SignInStatus::KNOWN {
            let status: SignInStatus = decode(&format!("\"{wire}\""));
            assert!(status.is_known(), "{wire}");
            assert_eq!(status.as_str(), *wire);
        }
        assert_eq!(decode::<SignInStatus>("\"complete\""), SignInStatus::Complete);
        assert_eq!(decode::<NextAction>("\"\""), NextAction::NoAction);
        assert_eq!(decode::<ClientTrustState>("\"new\""), ClientTrustState::New);
    }

    #[test]
    fn unknown_values_are_kept_and_serialized_back_verbatim() {
        let status: SessionStatus = decode("\"hibernating\"");
        assert_eq!(status, SessionStatus::Unknown("hibernating".to_owned()));
        assert!(!status.is_known());
        assert!(!status.is_signed_in());
        assert!(!status.is_terminal());
        assert_eq!(serde_json::to_string(&status).expect("encodes"), "\"hibernating\"");

        let level: ReverificationLevel = decode("\"quad_factor\"");
        assert_eq!(level.to_string(), "quad_factor");
        let sign_in: SignInStatus = decode("\"needs_telepathy\"");
        assert_eq!(serde_json::to_string(&sign_in).expect("encodes"), "\"needs_telepathy\"");
    }

    #[test]
    fn a_non_string_status_is_an_error() {
        assert!(serde_json::from_str::<SignUpStatus>("1").is_err());
        assert!(serde_json::from_str::<SignUpStatus>("null").is_err());
        assert_eq!(decode::<Option<SignUpStatus>>("null"), None);
    }

    #[test]
    fn session_status_classification() {
        assert!(SessionStatus::Active.is_signed_in());
        assert!(SessionStatus::Pending.is_signed_in());
        for terminal in ["ended", "expired", "removed", "abandoned", "replaced", "revoked"] {
            let status = SessionStatus::from(terminal);
            assert!(status.is_terminal(), "{terminal}");
            assert!(!status.is_signed_in(), "{terminal}");
        }
        assert!(!SessionStatus::Active.is_terminal());
        assert!(!SessionStatus::Pending.is_terminal());
    }
}
