//! `clerk replay FILE`: run a transcript back through the engine.
//!
//! Every request must go to the origin (`scheme://host:port`) of the first, which the engine
//! is configured with. Each recorded request is then matched to how it came about: a
//! request the engine makes right after the previous answer; a retry (marked with
//! `_clerk_retry_attempt`), which only the engine makes, after its backoff; or the command
//! that produced it, turned back from the request — and for a poll or a token request whose
//! command does not match, the engine's own request after its next deadline (a token
//! refresh). Candidates are tried on a fork of the engine, without advancing virtual time
//! unless the engine had to wait. The engine's request is compared with the recording
//! (method, path, parameter names, and every value the transcript kept — secrets are
//! placeholders on both sides), and the recorded answer is fed back. The state changes are
//! printed; the first difference stops the replay with an error naming the line, so a bug
//! report's transcript shows exactly where behaviour diverged.

use std::path::Path;

use clerk_core::captcha::{Captcha, CaptchaWidgetType};
use clerk_core::encoding::form_decode;
use clerk_core::secret::{Credential, Password, Ticket, VerificationCode};
use clerk_core::wire::{ReverificationLevel, Strategy};
use clerk_core::{
    Client, ClientCommand, ClientConfig, Command, Event, FirstFactorAttempt, FirstFactorPreparation, HttpRequest,
    InstanceType, OrganizationChoice, Outgoing, Output as EngineOutput, ReverificationCommand, SecondFactorAttempt,
    SecondFactorPreparation, SessionCommand, SignInCommand, SignInCreate, SignUpAttempt, SignUpCommand, SignUpFields,
    SignUpPreparation, SignUpRedirect, TokenRequest, TouchIntent,
};
use clerk_store::{TranscriptEntry, TranscriptReader};
use time::{Duration, OffsetDateTime};

use crate::failure::{Failure, Kind};
use crate::output::Output;
use crate::transcript_failure;

/// Parameters every request carries (added by the engine's builder); not compared.
const COMMON: [&str; 6] =
    ["__clerk_api_version", "_is_native", "_clerk_retry_attempt", "_clerk_session_id", "_method", "__domain"];

/// A recorded request, taken apart.
struct Recorded {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
}

impl Recorded {
    fn parse(entry: &TranscriptEntry) -> Result<Self, String> {
        let url = &entry.request.url;
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let path_and_query = after_scheme.find('/').map_or("/", |index| &after_scheme[index..]);
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let query = form_decode(query).map_err(|e| format!("query of {url}: {e}"))?;
        let form = form_decode(&entry.request.body).map_err(|e| format!("body of {url}: {e}"))?;
        let mut method = entry.request.method.clone();
        if let Some((_, tunnelled)) = query.iter().find(|(name, _)| name == "_method") {
            method = tunnelled.clone();
        }
        Ok(Recorded { method, path: path.to_owned(), query, form })
    }

    fn form(&self, name: &str) -> Option<String> {
        self.form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    fn query(&self, name: &str) -> Option<String> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    fn segments(&self) -> Vec<&str> {
        self.path.trim_start_matches('/').split('/').collect()
    }

    /// Whether this is a retry: the engine re-sent a request by itself after a transport
    /// error, marking it with `_clerk_retry_attempt`.
    fn is_retry(&self) -> bool {
        self.query("_clerk_retry_attempt").is_some()
    }

    /// How the request may have come about, the likelier first.
    fn triggers(&self) -> &'static [Trigger] {
        if self.is_retry() {
            // Only the engine retries, after its backoff.
            &[Trigger::EngineDeadline]
        } else if self.method == "GET" && self.path == "/v1/client" {
            // Polls (an email link being waited for) are the engine's; with no poll due,
            // the user reloaded.
            &[Trigger::EngineDeadline, Trigger::UserCommand]
        } else if self.path.contains("/tokens") {
            // Usually the user's `clerk token` (with its template, organization or
            // `skip_cache`); otherwise the engine's own refresh ahead of expiry.
            &[Trigger::UserCommand, Trigger::EngineDeadline]
        } else {
            &[Trigger::UserCommand]
        }
    }
}

/// What made the engine send a request.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    /// A command the user gave (the one [`command_for`] rebuilds from the request).
    UserCommand,
    /// One of the engine's deadlines: a retry's backoff, a poll, a token refresh.
    EngineDeadline,
}

/// The origin of a request URL, `scheme://host[:port]`, compared without regard to case and
/// with the scheme's default port left out.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin(String);

impl Origin {
    fn of(url: &str) -> Self {
        let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
        let scheme = scheme.to_ascii_lowercase();
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default().to_ascii_lowercase();
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
        Origin(format!("{scheme}://{authority}"))
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The most deadlines passed while waiting for the engine to send a request by itself.
const MAX_DEADLINES_PER_REQUEST: usize = 64;

/// Replays the transcript in `file`, printing what happened; fails at the first difference
/// (kind `mismatch`), or when the file cannot be read as a transcript (kind `transcript`).
pub(crate) fn run(out: Output, file: &Path) -> Result<(), Failure> {
    let entries: Vec<TranscriptEntry> = TranscriptReader::open(file)
        .map_err(transcript_failure)?
        .collect::<Result<_, _>>()
        .map_err(transcript_failure)?;
    let Some(first) = entries.first() else {
        return Err(Failure::new(Kind::Transcript, "the transcript is empty"));
    };
    // The engine talks to the first request's origin; every other request must go there too.
    let origin = Origin::of(&first.request.url);
    let config = replay_config(&origin.0).map_err(|e| Failure::new(Kind::Transcript, e))?;
    let mismatch = |message: String| Failure::new(Kind::Mismatch, message);
    let mut now = OffsetDateTime::UNIX_EPOCH + Duration::days(20_000);
    let mut engine = Client::new(config, now);
    for (index, entry) in entries.iter().enumerate() {
        let line = index + 1;
        let here = Origin::of(&entry.request.url);
        if here != origin {
            return Err(mismatch(format!(
                "line {line}: the request went to {here}, but the transcript (and the engine) started at {origin}"
            )));
        }
        let recorded =
            Recorded::parse(entry).map_err(|e| Failure::new(Kind::Transcript, format!("line {line}: {e}")))?;
        let outgoing =
            reproduce(&mut engine, &mut now, &recorded, out).map_err(|e| mismatch(format!("line {line}: {e}")))?;
        out.note(&format!("✓ {line}: {} {}", recorded.method, recorded.path));
        engine.handle_response(outgoing.id, entry.engine_outcome(), now).map_err(|e| mismatch(e.to_string()))?;
    }
    drain(&mut engine, out);
    out.note(&format!("Replayed {} exchanges: every request matched.", entries.len()));
    out.whoami(&engine);
    Ok(())
}

/// The engine's configuration for a transcript recorded at `origin`. The engine only builds
/// paths and queries, and replay sends nothing, so an `http` origin off this machine (a mock
/// on another host, recorded before plain http was refused there, decision 0012) is given to
/// it as `https`: same host, same requests.
fn replay_config(origin: &str) -> Result<ClientConfig, String> {
    match ClientConfig::for_base_url(origin, InstanceType::Development) {
        Err(clerk_core::config::ConfigError::InvalidBaseUrl(clerk_core::config::UrlError::PlainHttpToRemoteHost {
            ..
        })) => {
            let secure = format!("https://{}", origin.get("http://".len()..).unwrap_or_default());
            ClientConfig::for_base_url(&secure, InstanceType::Development).map_err(|e| e.to_string())
        }
        other => other.map_err(|e| e.to_string()),
    }
}

fn drain(engine: &mut Client, out: Output) {
    while let EngineOutput::Event(event) = engine.poll_output() {
        out.event(&event);
    }
}

/// The engine's request that matches `recorded`. A request the engine is already making (a
/// follow-up of the last answer) must match. Otherwise each way the recording may have come
/// about ([`Recorded::triggers`]) is tried on a fork of the engine, and the first that sends
/// a matching request is kept (engine, virtual time and events); when none does, the
/// likeliest one's difference is the error.
fn reproduce(
    engine: &mut Client,
    now: &mut OffsetDateTime,
    recorded: &Recorded,
    out: Output,
) -> Result<Outgoing, String> {
    let mut events = Vec::new();
    let pending = next_request(engine, now, false, &mut events);
    events.iter().for_each(|event| out.event(event));
    if let Some(outgoing) = pending {
        compare(recorded, &outgoing.request)?;
        return Ok(outgoing);
    }
    let mut first_difference = None;
    for trigger in recorded.triggers() {
        let (mut fork, mut fork_now, mut events) = (engine.clone(), *now, Vec::new());
        let sent = match trigger {
            Trigger::UserCommand => submit(&mut fork, &mut fork_now, recorded, &mut events),
            Trigger::EngineDeadline => next_request(&mut fork, &mut fork_now, true, &mut events).ok_or_else(|| {
                format!("the engine had nothing to send by itself for {} {}", recorded.method, recorded.path)
            }),
        };
        match sent.and_then(|outgoing| compare(recorded, &outgoing.request).map(|()| outgoing)) {
            Ok(outgoing) => {
                *engine = fork;
                *now = fork_now;
                events.iter().for_each(|event| out.event(event));
                return Ok(outgoing);
            }
            Err(difference) => {
                first_difference.get_or_insert(difference);
            }
        }
    }
    Err(first_difference.unwrap_or_else(|| format!("nothing sends {} {}", recorded.method, recorded.path)))
}

/// Gives the engine the command that made `recorded`; the request it sends for it.
fn submit(
    engine: &mut Client,
    now: &mut OffsetDateTime,
    recorded: &Recorded,
    events: &mut Vec<Event>,
) -> Result<Outgoing, String> {
    let command = command_for(recorded)?;
    engine.submit(command, *now).map_err(|e| format!("the engine refused the command: {e}"))?;
    next_request(engine, now, false, events)
        .ok_or_else(|| format!("the engine sent nothing for {} {}", recorded.method, recorded.path))
}

/// The engine's next request: at once, or (with `wait`) after advancing virtual time through
/// its deadlines. The events on the way are added to `events`.
fn next_request(
    engine: &mut Client,
    now: &mut OffsetDateTime,
    wait: bool,
    events: &mut Vec<Event>,
) -> Option<Outgoing> {
    let mut deadlines = 0;
    loop {
        match engine.poll_output() {
            EngineOutput::Event(event) => events.push(event),
            EngineOutput::Request(outgoing) => return Some(outgoing),
            EngineOutput::Timeout(deadline) if wait && deadlines < MAX_DEADLINES_PER_REQUEST => {
                deadlines += 1;
                *now = deadline;
                engine.handle_timeout(deadline);
            }
            _ => return None,
        }
    }
}

fn compare(recorded: &Recorded, sent: &HttpRequest) -> Result<(), String> {
    let method = sent.query_value("_method").map_or(sent.method.as_str(), |m| m.expose());
    if method != recorded.method || sent.path != recorded.path {
        return Err(format!(
            "the engine sent {method} {} where the transcript has {} {}",
            sent.path, recorded.method, recorded.path
        ));
    }
    let sent_query: Vec<(String, String)> =
        sent.query.iter().map(|f| (f.name.to_string(), f.value.expose().to_owned())).collect();
    let sent_form: Vec<(String, String)> =
        sent.form.iter().flatten().map(|f| (f.name.to_string(), f.value.expose().to_owned())).collect();
    for (what, recorded, sent) in [("query", &recorded.query, &sent_query), ("body", &recorded.form, &sent_form)] {
        let significant = |pairs: &Vec<(String, String)>| -> Vec<(String, String)> {
            let mut kept: Vec<(String, String)> = pairs
                .iter()
                .filter(|(name, _)| !COMMON.contains(&name.as_str()))
                .map(|(name, value)| {
                    // Secrets are placeholders in the transcript: compare presence only.
                    let value = if value.starts_with("[redacted#") { String::from("[secret]") } else { value.clone() };
                    (name.clone(), value)
                })
                .collect();
            kept.sort();
            kept
        };
        let (mut want, mut got) = (significant(recorded), significant(sent));
        for pair in &mut got {
            if want.iter().any(|(name, value)| name == &pair.0 && value == "[secret]") {
                pair.1 = String::from("[secret]");
            }
        }
        want.sort();
        got.sort();
        if want != got {
            return Err(format!("{what} differs: transcript {want:?}, engine {got:?}"));
        }
    }
    Ok(())
}

fn id_at(recorded: &Recorded, index: usize) -> Result<String, String> {
    recorded.segments().get(index).map(|s| (*s).to_owned()).ok_or_else(|| format!("no id in {}", recorded.path))
}

fn code(recorded: &Recorded) -> VerificationCode {
    VerificationCode::new(recorded.form("code").unwrap_or_default())
}

/// The command that made a recorded request.
fn command_for(recorded: &Recorded) -> Result<Command, String> {
    let segments = recorded.segments();
    let method = recorded.method.as_str();
    let strategy = recorded.form("strategy");
    let unsupported = || format!("no command sends {} {}", recorded.method, recorded.path);
    Ok(match (method, segments.as_slice()) {
        ("GET", ["v1", "environment"]) => ClientCommand::LoadEnvironment.into(),
        ("GET", ["v1", "client"]) => ClientCommand::Reload.into(),
        ("POST" | "PUT", ["v1", "client"]) => ClientCommand::Create.into(),
        ("DELETE", ["v1", "client"]) => ClientCommand::Destroy.into(),
        ("DELETE", ["v1", "client", "sessions"]) => SessionCommand::SignOut { session_id: None }.into(),
        ("POST", ["v1", "client", "sign_ins"]) => SignInCommand::Create(SignInCreate {
            strategy: strategy.map(Strategy::from),
            identifier: recorded.form("identifier"),
            password: recorded.form("password").map(Password::new),
            ticket: recorded.form("ticket").map(Ticket::new),
            token: recorded.form("token").map(Credential::new),
            code: recorded.form("code").map(Credential::new),
            redirect_url: recorded.form("redirect_url"),
            action_complete_redirect_url: recorded.form("action_complete_redirect_url"),
            oidc_prompt: recorded.form("oidc_prompt"),
            oidc_login_hint: recorded.form("oidc_login_hint"),
            transfer: recorded.form("transfer").as_deref() == Some("true"),
            sign_up_if_missing: recorded.form("sign_up_if_missing").as_deref() == Some("true"),
            locale: recorded.form("locale"),
            captcha: captcha_of(recorded),
        })
        .into(),
        ("GET", ["v1", "client", "sign_ins", _]) => {
            SignInCommand::Reload { rotating_token_nonce: recorded.query("rotating_token_nonce").map(Credential::new) }
                .into()
        }
        ("POST", ["v1", "client", "sign_ins", _, action]) => {
            sign_in_action(recorded, action, strategy.as_deref())?.into()
        }
        ("POST", ["v1", "client", "sign_ups"]) => SignUpCommand::Create(sign_up_fields(recorded)).into(),
        ("PATCH", ["v1", "client", "sign_ups", _]) => SignUpCommand::Update(sign_up_fields(recorded)).into(),
        ("GET", ["v1", "client", "sign_ups", _]) => {
            SignUpCommand::Reload { rotating_token_nonce: recorded.query("rotating_token_nonce").map(Credential::new) }
                .into()
        }
        ("POST", ["v1", "client", "sign_ups", _, "prepare_verification"]) => {
            let strategy = strategy.map(Strategy::from);
            SignUpCommand::PrepareVerification(match strategy {
                Some(Strategy::PhoneCode) => SignUpPreparation::PhoneCode,
                Some(Strategy::EmailLink) => {
                    SignUpPreparation::EmailLink { redirect_url: recorded.form("redirect_url").unwrap_or_default() }
                }
                Some(strategy) if strategy.is_web3() => SignUpPreparation::Web3 { strategy },
                Some(strategy) if recorded.form("redirect_url").is_some() => {
                    let mut redirect = SignUpRedirect::new(strategy, recorded.form("redirect_url").unwrap_or_default());
                    redirect.action_complete_redirect_url = recorded.form("action_complete_redirect_url");
                    redirect.oidc_prompt = recorded.form("oidc_prompt");
                    redirect.oidc_login_hint = recorded.form("oidc_login_hint");
                    SignUpPreparation::Redirect(redirect)
                }
                _ => SignUpPreparation::EmailCode,
            })
            .into()
        }
        ("POST", ["v1", "client", "sign_ups", _, "attempt_verification"]) => {
            let strategy = strategy.map(Strategy::from);
            SignUpCommand::AttemptVerification(match strategy {
                Some(Strategy::PhoneCode) => SignUpAttempt::PhoneCode(code(recorded)),
                Some(strategy) if strategy.is_web3() => SignUpAttempt::Web3 {
                    strategy,
                    signature: Credential::new(recorded.form("signature").unwrap_or_default()),
                },
                _ => SignUpAttempt::EmailCode(code(recorded)),
            })
            .into()
        }
        ("GET", ["v1", "client", "sessions", _]) => SessionCommand::Reload { session_id: id_at(recorded, 3)? }.into(),
        ("POST", ["v1", "client", "sessions", _, "touch"]) => {
            let session_id = id_at(recorded, 3)?;
            match recorded.form("intent").as_deref() {
                Some("select_session") => {
                    SessionCommand::SetActive { session_id, organization: OrganizationChoice::SessionDefault }.into()
                }
                Some("select_org") => {
                    let organization = match recorded.form("active_organization_id").filter(|id| !id.is_empty()) {
                        Some(id) => OrganizationChoice::Id(id),
                        None => OrganizationChoice::Personal,
                    };
                    SessionCommand::SetActive { session_id, organization }.into()
                }
                Some("focus") => SessionCommand::Touch { session_id, intent: Some(TouchIntent::Focus) }.into(),
                _ => SessionCommand::Touch { session_id, intent: None }.into(),
            }
        }
        ("POST", ["v1", "client", "sessions", _, "end"]) => {
            SessionCommand::End { session_id: id_at(recorded, 3)? }.into()
        }
        ("POST", ["v1", "client", "sessions", _, "remove"]) => {
            SessionCommand::SignOut { session_id: Some(id_at(recorded, 3)?) }.into()
        }
        ("POST", ["v1", "client", "sessions", _, "tokens", rest @ ..]) => {
            let organization = match recorded.form("organization_id") {
                Some(id) if !id.is_empty() => OrganizationChoice::Id(id),
                Some(_) => OrganizationChoice::Personal,
                None => OrganizationChoice::SessionDefault,
            };
            SessionCommand::GetToken(TokenRequest {
                session_id: Some(id_at(recorded, 3)?),
                template: rest.first().map(|t| (*t).to_owned()),
                organization,
                skip_cache: recorded.query("debug").as_deref() == Some("skip_cache"),
            })
            .into()
        }
        ("POST", ["v1", "client", "sessions", _, "verify"]) => ReverificationCommand::Start {
            session_id: Some(id_at(recorded, 3)?),
            level: ReverificationLevel::from(recorded.form("level").unwrap_or_default()),
        }
        .into(),
        _ => return Err(unsupported()),
    })
}

fn sign_in_action(recorded: &Recorded, action: &str, strategy: Option<&str>) -> Result<SignInCommand, String> {
    let email = recorded.form("email_address_id");
    let phone = recorded.form("phone_number_id");
    Ok(match (action, strategy) {
        ("prepare_first_factor", Some("email_code")) => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: email })
        }
        ("prepare_first_factor", Some("phone_code")) => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::PhoneCode { phone_number_id: phone })
        }
        ("prepare_first_factor", Some("email_link")) => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailLink {
                email_address_id: email,
                redirect_url: recorded.form("redirect_url").unwrap_or_default(),
            })
        }
        ("prepare_first_factor", Some("reset_password_email_code")) => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::ResetPasswordEmailCode {
                email_address_id: email,
            })
        }
        ("prepare_first_factor", Some("reset_password_phone_code")) => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::ResetPasswordPhoneCode { phone_number_id: phone })
        }
        ("prepare_first_factor", Some("passkey")) => SignInCommand::PrepareFirstFactor(FirstFactorPreparation::Passkey),
        ("prepare_first_factor", Some(strategy)) if Strategy::from(strategy).is_web3() => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::Web3 {
                strategy: Strategy::from(strategy),
                web3_wallet_id: recorded.form("web3_wallet_id"),
            })
        }
        ("prepare_first_factor", Some(strategy)) if recorded.form("redirect_url").is_some() => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::Redirect {
                strategy: Strategy::from(strategy),
                redirect_url: recorded.form("redirect_url").unwrap_or_default(),
                action_complete_redirect_url: recorded.form("action_complete_redirect_url"),
                oidc_prompt: recorded.form("oidc_prompt"),
                oidc_login_hint: recorded.form("oidc_login_hint"),
            })
        }
        ("attempt_first_factor", Some(strategy)) if Strategy::from(strategy).is_web3() => {
            SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Web3 {
                strategy: Strategy::from(strategy),
                signature: Credential::new(recorded.form("signature").unwrap_or_default()),
            })
        }
        ("attempt_first_factor", Some("password")) => SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Password(
            Password::new(recorded.form("password").unwrap_or_default()),
        )),
        ("attempt_first_factor", Some("email_code")) => {
            SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(code(recorded)))
        }
        ("attempt_first_factor", Some("phone_code")) => {
            SignInCommand::AttemptFirstFactor(FirstFactorAttempt::PhoneCode(code(recorded)))
        }
        ("attempt_first_factor", Some("reset_password_email_code")) => {
            SignInCommand::AttemptFirstFactor(FirstFactorAttempt::ResetPasswordEmailCode {
                code: code(recorded),
                password: recorded.form("password").map(Password::new),
            })
        }
        ("prepare_second_factor", Some("phone_code")) => {
            SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode { phone_number_id: phone })
        }
        ("prepare_second_factor", Some("email_code")) => {
            SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailCode { email_address_id: email })
        }
        ("attempt_second_factor", Some(strategy)) => SignInCommand::AttemptSecondFactor(match strategy {
            "totp" => SecondFactorAttempt::Totp(code(recorded)),
            "backup_code" => SecondFactorAttempt::BackupCode(code(recorded)),
            "email_code" => SecondFactorAttempt::EmailCode(code(recorded)),
            _ => SecondFactorAttempt::PhoneCode(code(recorded)),
        }),
        ("reset_password", _) => SignInCommand::ResetPassword {
            password: Password::new(recorded.form("password").unwrap_or_default()),
            sign_out_of_other_sessions: recorded.form("sign_out_of_other_sessions").as_deref() == Some("true"),
        },
        _ => return Err(format!("no sign-in command sends {action} with strategy {strategy:?}")),
    })
}

fn sign_up_fields(recorded: &Recorded) -> SignUpFields {
    SignUpFields {
        email_address: recorded.form("email_address"),
        phone_number: recorded.form("phone_number"),
        username: recorded.form("username"),
        password: recorded.form("password").map(Password::new),
        first_name: recorded.form("first_name"),
        last_name: recorded.form("last_name"),
        unsafe_metadata: recorded.form("unsafe_metadata").and_then(|text| serde_json::from_str(&text).ok()),
        legal_accepted: recorded.form("legal_accepted").map(|value| value == "true"),
        strategy: recorded.form("strategy").map(Strategy::from),
        ticket: recorded.form("ticket").map(Ticket::new),
        token: recorded.form("token").map(Credential::new),
        code: recorded.form("code").map(Credential::new),
        redirect_url: recorded.form("redirect_url"),
        action_complete_redirect_url: recorded.form("action_complete_redirect_url"),
        oidc_prompt: recorded.form("oidc_prompt"),
        oidc_login_hint: recorded.form("oidc_login_hint"),
        web3_wallet: recorded.form("web3_wallet"),
        transfer: recorded.form("transfer").as_deref() == Some("true"),
        locale: recorded.form("locale"),
        captcha: captcha_of(recorded),
    }
}

/// The bot-protection outcome a recorded create carried (`captcha_widget_type` is always sent
/// with one); a widget type this program does not know is left out, and the replay reports the
/// difference.
fn captcha_of(recorded: &Recorded) -> Option<Captcha> {
    let widget_type = match recorded.form("captcha_widget_type")?.as_str() {
        "smart" => CaptchaWidgetType::Smart,
        "invisible" => CaptchaWidgetType::Invisible,
        _ => return None,
    };
    let mut captcha = match recorded.form("captcha_token") {
        Some(token) => Captcha::solved(Credential::new(token), widget_type),
        None => Captcha::failed(String::new(), widget_type),
    };
    captcha.error = recorded.form("captcha_error");
    Some(captcha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_recorded_over_plain_http_off_this_machine_still_replays() {
        for origin in ["http://10.0.0.5:8080", "http://127.0.0.1:4010", "https://clerk.example.com"] {
            let config = replay_config(origin).unwrap_or_else(|e| panic!("{origin}: {e}"));
            assert_eq!(Some(config.frontend_api_host()), origin.split("://").nth(1), "{origin}");
        }
        assert!(replay_config("ftp://example.com").is_err());
    }

    fn sign_up_create(form: &[(&str, &str)]) -> Recorded {
        Recorded {
            method: String::from("POST"),
            path: String::from("/v1/client/sign_ups"),
            query: Vec::new(),
            form: form.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        }
    }

    /// A recorded create with a locale and a captcha becomes the command that sends the same
    /// body again (so `clerk replay` of a browser front end's transcript matches).
    #[test]
    fn a_create_with_a_locale_and_a_captcha_is_rebuilt_with_them() {
        let form = [
            ("email_address", "ada@example.com"),
            ("locale", "fr-FR"),
            ("captcha_token", "[redacted#1]"),
            ("captcha_widget_type", "invisible"),
            ("captcha_error", "300030"),
        ];
        let fields = sign_up_fields(&sign_up_create(&form));
        assert_eq!(fields.locale.as_deref(), Some("fr-FR"));
        let captcha = fields.captcha.expect("captcha");
        assert_eq!(captcha.token.as_ref().map(Credential::expose), Some("[redacted#1]"));
        assert_eq!(captcha.widget_type, CaptchaWidgetType::Invisible);
        assert_eq!(captcha.error.as_deref(), Some("300030"));

        let failed = sign_up_fields(&sign_up_create(&[("captcha_widget_type", "smart"), ("captcha_error", "e")]));
        let captcha = failed.captcha.expect("captcha");
        assert!(captcha.token.is_none());
        assert_eq!(captcha.error.as_deref(), Some("e"));
        assert!(sign_up_fields(&sign_up_create(&[("captcha_widget_type", "managed")])).captcha.is_none());
    }
}
