//! Reverification: re-checking a signed-in user before a sensitive action
//! (`/v1/client/sessions/{id}/verify…`, fapi.md §3.5.5, §4.8). A small state machine like
//! sign-in's:
//!
//! | status | start | prepare_first_factor | attempt_first_factor | prepare_second_factor | attempt_second_factor |
//! | --- | --- | --- | --- | --- | --- |
//! | none started | ✓ | | | | |
//! | `needs_first_factor` | ✓ | ✓ | ✓ | | |
//! | `needs_second_factor` | ✓ | | | ✓ | ✓ |
//! | `complete` | ✓ | | | | |
//! | unknown | ✓ | | | | |

use serde::Serialize;

use crate::builder::RequestSpec;
use crate::encoding::ResourceId;
use crate::error::CommandError;
use crate::kind::RequestKind;
use crate::request::Field;
use crate::secret::{Credential, Password, VerificationCode};
use crate::wire::{Factor, ReverificationLevel, ReverificationStatus, SessionReverification, Text};

/// `verify/prepare_first_factor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ReverificationPreparation {
    /// A code by email (`email_address_id`, or the offered one when `None`).
    EmailCode {
        /// The address.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        email_address_id: Option<String>,
    },
    /// A code by SMS (`phone_number_id`, or the offered one when `None`).
    PhoneCode {
        /// The phone.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        phone_number_id: Option<String>,
    },
    /// WebAuthn options in `first_factor_verification.nonce`.
    Passkey,
}

/// `verify/attempt_first_factor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ReverificationFirstAttempt {
    /// `strategy=password`.
    Password(Password),
    /// `strategy=email_code`.
    EmailCode(VerificationCode),
    /// `strategy=phone_code`.
    PhoneCode(VerificationCode),
    /// `strategy=passkey` with the assertion JSON.
    Passkey {
        /// The assertion, as a JSON string.
        public_key_credential: Credential,
    },
}

/// `verify/attempt_second_factor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ReverificationSecondAttempt {
    /// `strategy=phone_code`.
    PhoneCode(VerificationCode),
    /// `strategy=totp`.
    Totp(VerificationCode),
    /// `strategy=backup_code`.
    BackupCode(VerificationCode),
}

/// Commands of the reverification flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
#[non_exhaustive]
pub enum ReverificationCommand {
    /// `POST …/verify` with `level`: starts (or restarts) a reverification of the session
    /// (`None`: the active one).
    Start {
        /// The session.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        session_id: Option<String>,
        /// How much to re-check.
        level: ReverificationLevel,
    },
    /// `POST …/verify/prepare_first_factor`.
    PrepareFirstFactor(ReverificationPreparation),
    /// `POST …/verify/attempt_first_factor`.
    AttemptFirstFactor(ReverificationFirstAttempt),
    /// `POST …/verify/prepare_second_factor` (`strategy=phone_code`).
    PrepareSecondFactor {
        /// The phone, or the offered one when `None`.
        #[cfg_attr(feature = "arbitrary", arbitrary(with = crate::fuzz_vocabulary::optional_id))]
        phone_number_id: Option<String>,
    },
    /// `POST …/verify/attempt_second_factor`.
    AttemptSecondFactor(ReverificationSecondAttempt),
}

/// The columns of the reverification legality table.
pub const REVERIFICATION_COMMAND_NAMES: [&str; 5] =
    ["start", "prepare_first_factor", "attempt_first_factor", "prepare_second_factor", "attempt_second_factor"];

impl ReverificationCommand {
    /// A short stable name (a column of the legality table).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            ReverificationCommand::Start { .. } => "start",
            ReverificationCommand::PrepareFirstFactor(_) => "prepare_first_factor",
            ReverificationCommand::AttemptFirstFactor(_) => "attempt_first_factor",
            ReverificationCommand::PrepareSecondFactor { .. } => "prepare_second_factor",
            ReverificationCommand::AttemptSecondFactor(_) => "attempt_second_factor",
        }
    }
}

/// The legality table by command name and the current reverification's status (`None`:
/// none started).
#[must_use]
pub fn legal(command: &str, status: Option<&ReverificationStatus>) -> bool {
    use ReverificationStatus as S;
    matches!(
        (command, status),
        ("start", _)
            | ("prepare_first_factor" | "attempt_first_factor", Some(S::NeedsFirstFactor))
            | ("prepare_second_factor" | "attempt_second_factor", Some(S::NeedsSecondFactor))
    )
}

/// The status as the legality table and errors name it.
#[must_use]
pub fn status_name(status: Option<&ReverificationStatus>) -> String {
    status.map_or_else(|| String::from("none started"), |status| status.as_str().to_owned())
}

fn pick(
    factors: &[Factor],
    strategy: &str,
    requested: Option<&str>,
    id_of: fn(&Factor) -> Option<&Text>,
) -> Result<Option<String>, CommandError> {
    let offered: Vec<&Factor> = factors.iter().filter(|factor| factor.strategy == strategy).collect();
    let not_offered = || CommandError::FactorNotOffered { strategy: strategy.to_owned() };
    let first = offered.first().ok_or_else(not_offered)?;
    match requested {
        Some(requested) if offered.iter().any(|f| id_of(f).is_some_and(|id| id == requested)) => {
            Ok(Some(requested.to_owned()))
        }
        Some(_) => Err(not_offered()),
        // The user's default MFA phone when the offer marks one (fapi.md §4.4), else the first.
        None => {
            let default = offered.iter().find(|factor| factor.default == Some(true)).unwrap_or(first);
            Ok(id_of(default).map(String::from))
        }
    }
}

/// `/v1/client/sessions/{id}/verify`, the root of every reverification request.
fn verify_path(session_id: &str) -> Result<String, CommandError> {
    Ok(format!("/v1/client/sessions/{}/verify", ResourceId::new(session_id)?.to_path_segment()))
}

/// Whether `path` is a reverification request's path for `session_id`: how an answer whose
/// operation is gone (cancelled) is tied to the session it reverified.
pub(crate) fn path_is_for_session(path: &str, session_id: &str) -> bool {
    verify_path(session_id)
        .is_ok_and(|base| path.strip_prefix(base.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/')))
}

/// The request of a legal command. `session_id` is the session being reverified.
pub(crate) fn request_for(
    command: &ReverificationCommand,
    session_id: &str,
    current: Option<&SessionReverification>,
) -> Result<RequestSpec, CommandError> {
    let base = verify_path(session_id)?;
    let first_factors = current.map(|r| r.supported_first_factors.as_slice()).unwrap_or_default();
    let second_factors = current.map(|r| r.supported_second_factors.as_slice()).unwrap_or_default();
    let mut spec;
    match command {
        ReverificationCommand::Start { level, .. } => {
            spec = RequestSpec::new(RequestKind::SessionVerify, base);
            spec.form.push(Field::plain("level", level.to_wire()));
        }
        ReverificationCommand::PrepareFirstFactor(preparation) => {
            spec =
                RequestSpec::new(RequestKind::SessionVerifyPrepareFirstFactor, format!("{base}/prepare_first_factor"));
            match preparation {
                ReverificationPreparation::EmailCode { email_address_id } => {
                    let id = pick(first_factors, "email_code", email_address_id.as_deref(), |f| {
                        f.email_address_id.as_ref()
                    })?;
                    spec.form.push(Field::plain("strategy", "email_code"));
                    if let Some(id) = id {
                        spec.form.push(Field::plain("email_address_id", id));
                    }
                }
                ReverificationPreparation::PhoneCode { phone_number_id } => {
                    let id =
                        pick(first_factors, "phone_code", phone_number_id.as_deref(), |f| f.phone_number_id.as_ref())?;
                    spec.form.push(Field::plain("strategy", "phone_code"));
                    if let Some(id) = id {
                        spec.form.push(Field::plain("phone_number_id", id));
                    }
                }
                ReverificationPreparation::Passkey => {
                    pick(first_factors, "passkey", None, |f| f.passkey_id.as_ref())?;
                    spec.form.push(Field::plain("strategy", "passkey"));
                }
            }
        }
        ReverificationCommand::AttemptFirstFactor(attempt) => {
            spec =
                RequestSpec::new(RequestKind::SessionVerifyAttemptFirstFactor, format!("{base}/attempt_first_factor"));
            let (strategy, name, value) = match attempt {
                ReverificationFirstAttempt::Password(password) => ("password", "password", password.expose()),
                ReverificationFirstAttempt::EmailCode(code) => ("email_code", "code", code.expose()),
                ReverificationFirstAttempt::PhoneCode(code) => ("phone_code", "code", code.expose()),
                ReverificationFirstAttempt::Passkey { public_key_credential } => {
                    ("passkey", "public_key_credential", public_key_credential.expose())
                }
            };
            spec.form.push(Field::plain("strategy", strategy));
            spec.form.push(Field::secret(name, value));
        }
        ReverificationCommand::PrepareSecondFactor { phone_number_id } => {
            spec = RequestSpec::new(
                RequestKind::SessionVerifyPrepareSecondFactor,
                format!("{base}/prepare_second_factor"),
            );
            let id = pick(second_factors, "phone_code", phone_number_id.as_deref(), |f| f.phone_number_id.as_ref())?;
            spec.form.push(Field::plain("strategy", "phone_code"));
            if let Some(id) = id {
                spec.form.push(Field::plain("phone_number_id", id));
            }
        }
        ReverificationCommand::AttemptSecondFactor(attempt) => {
            spec = RequestSpec::new(
                RequestKind::SessionVerifyAttemptSecondFactor,
                format!("{base}/attempt_second_factor"),
            );
            let (strategy, code) = match attempt {
                ReverificationSecondAttempt::PhoneCode(code) => ("phone_code", code),
                ReverificationSecondAttempt::Totp(code) => ("totp", code),
                ReverificationSecondAttempt::BackupCode(code) => ("backup_code", code),
            };
            spec.form.push(Field::plain("strategy", strategy));
            spec.form.push(Field::secret("code", code.expose()));
        }
    }
    Ok(spec)
}
