//! What the program prints: readable text, or JSON with `--json`.

use clerk_core::secret::SessionJwt;
use clerk_core::wire::SessionResource;
use clerk_core::{ActiveSession, Client, Event, HttpRequest, HttpResponse, SignOutConfirmation, TransportError};
use serde_json::{Value, json};

use crate::stdout::{json_line, outln};

/// Which of the client's sessions a listing shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// Those signed in (`active` or `pending`), as clerk-js's `client.signedInSessions`.
    SignedIn,
    /// Every one, those no longer signed in (ended, removed, expired, …) too.
    All,
}

impl Listing {
    /// The sessions of `engine` this listing shows, in the client's order.
    fn of(self, engine: &Client) -> Vec<&SessionResource> {
        match self {
            Listing::SignedIn => engine.signed_in_sessions().collect(),
            Listing::All => engine.sessions().iter().collect(),
        }
    }
}

/// Where and how to print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    json: bool,
    /// The Frontend API could not be reached: what is shown is the state stored here.
    offline: bool,
}

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        Output { json, offline: false }
    }

    /// The same output, for a command going on from the stored state (the Frontend API
    /// could not be reached): `whoami --json` says so.
    pub(crate) fn offline(self, offline: bool) -> Self {
        Output { offline, ..self }
    }

    pub(crate) fn is_json(self) -> bool {
        self.json
    }

    /// A line of progress for people (nothing in JSON mode).
    pub(crate) fn note(self, text: &str) {
        if !self.json {
            outln!("{text}");
        }
    }

    pub(crate) fn whoami(self, engine: &Client) {
        if self.json {
            json_line(&whoami_json(engine, self.offline));
            return;
        }
        let session = engine.active_session();
        let user = session.and_then(|s| s.user.as_ref());
        let email = user.and_then(|u| u.primary_email_address()).and_then(|e| e.email_address.clone());
        match session {
            None => {
                outln!("Not signed in.");
                if let Some(advice) = switch_advice(engine) {
                    outln!("  {advice}");
                }
            }
            Some(session) => {
                let who = match (user_name(engine), &email) {
                    (Some(name), Some(email)) => format!("{name} <{email}>"),
                    (None, Some(email)) => email.to_string(),
                    (Some(name), None) => name,
                    (None, None) => user
                        .and_then(|u| u.id.as_deref().map(String::from))
                        .unwrap_or_else(|| String::from("(unknown user)")),
                };
                outln!("Signed in as {who}");
                outln!("  session {} ({})", session.id, session.status.as_ref().map_or("?", |s| s.as_str()));
                if let Some(org) = &session.last_active_organization_id {
                    outln!("  organization {org}");
                }
            }
        }
    }

    /// The client's sessions that `listing` shows, with their status; `*` marks the active
    /// one. With none signed in but others on the client, says how many, and, when
    /// `point_to_all` (the `clerk sessions` command, not the demo's in-memory client), how to
    /// list them.
    pub(crate) fn sessions(self, engine: &Client, listing: Listing, point_to_all: bool) {
        if self.json {
            json_line(&sessions_json(engine, listing));
            return;
        }
        let active = engine.active_session_id();
        let shown = listing.of(engine);
        if engine.sessions().is_empty() {
            outln!("No sessions.");
        } else if shown.is_empty() {
            let counts = status_counts(engine.sessions());
            if point_to_all {
                outln!("No signed-in sessions ({counts}: `clerk sessions --all` lists them).");
            } else {
                outln!("No signed-in sessions ({counts}).");
            }
        }
        for session in shown {
            let marker = if Some(session.id.as_str()) == active { "*" } else { " " };
            let who = session.public_user_data.as_ref().and_then(|p| p.identifier.clone()).unwrap_or_default();
            outln!("{marker} {}  {:<8} {who}", session.id, session.status.as_ref().map_or("?", |s| s.as_str()));
        }
    }

    /// The user's sessions on every device (`clerk devices`): `*` marks this client's active
    /// session, "this device" its other sessions.
    pub(crate) fn devices(self, devices: &[ActiveSession]) {
        if self.json {
            json_line(&devices_json(devices));
            return;
        }
        if devices.is_empty() {
            outln!("No active sessions.");
        }
        for device in devices {
            let marker = if device.current { "*" } else { " " };
            let session = &device.session;
            let activity = session.latest_activity.as_ref();
            let text = |value: Option<&clerk_core::wire::Text>| value.map(|v| v.as_str().to_owned());
            let mut what = [
                activity.and_then(|a| text(a.browser_name.as_ref())),
                activity.and_then(|a| text(a.browser_version.as_ref())),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            if let Some(device_type) = activity.and_then(|a| text(a.device_type.as_ref())) {
                what = if what.is_empty() { device_type } else { format!("{what} on {device_type}") };
            }
            if activity.is_some_and(|a| a.is_mobile) {
                what.push_str(" (mobile)");
            }
            let place = [activity.and_then(|a| text(a.city.as_ref())), activity.and_then(|a| text(a.country.as_ref()))]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let from = match (activity.and_then(|a| text(a.ip_address.as_ref())), place.is_empty()) {
                (Some(ip), false) => format!("{ip} ({place})"),
                (Some(ip), true) => ip,
                (None, false) => place,
                (None, true) => String::from("unknown place"),
            };
            let when = session.last_active_at.map_or_else(|| String::from("unknown"), format_time);
            let here = if device.on_this_client { "  this device" } else { "" };
            let what = if what.is_empty() { String::from("unknown device") } else { what };
            outln!("{marker} {}{here}", session.id);
            outln!("    {what}, from {from}, last active {when}");
        }
    }

    /// The result of `clerk devices --revoke SESSION`.
    pub(crate) fn revoked(self, session: &str, this_device: bool, still_signed_in: bool) {
        if self.json {
            json_line(&json!({ "revoked": session, "this_device": this_device, "signed_in": still_signed_in }));
            return;
        }
        outln!("Revoked session {session}.");
        if this_device && !still_signed_in {
            outln!("It was this device's session: signed out here too.");
        } else if !this_device {
            outln!("That device is signed out on its next request.");
        }
    }

    /// Prints a session token: the one thing this program prints a secret for, because the
    /// user asked for it.
    pub(crate) fn token(self, token: &SessionJwt) {
        if self.json {
            // What a script needs beside the token, read from its claims (not verified: the
            // backend that receives the token verifies it).
            let claims = clerk_core::jwt::decode_claims(token.expose()).ok();
            json_line(&json!({
                "jwt": token.expose(),
                "session_id": claims.as_ref().and_then(|claims| claims.sid.clone()),
                "user_id": claims.as_ref().and_then(|claims| claims.sub.clone()),
                "organization_id": claims.as_ref().and_then(|claims| claims.org_id.clone()),
                "expires_at": claims.as_ref().map(|claims| claims.exp),
            }));
        } else {
            outln!("{}", token.expose());
        }
    }

    pub(crate) fn signed_out(self, confirmation: &SignOutConfirmation) {
        if self.json {
            json_line(&signed_out_json(confirmation));
            return;
        }
        let detail = match confirmation {
            SignOutConfirmation::Confirmed => String::from("the server ended the session(s)"),
            SignOutConfirmation::LocalOnly { error } => {
                format!("on this machine only; the server was not told: {error}")
            }
            _ => String::from("signed out"),
        };
        outln!("Signed out ({detail}).");
    }

    /// One exchange, for the demo: method, path and status (secrets are never shown).
    pub(crate) fn exchange(self, request: &HttpRequest, result: &Result<HttpResponse, TransportError>) {
        if self.json {
            return;
        }
        let status = match result {
            Ok(response) => response.status.to_string(),
            Err(error) => format!("error: {error}"),
        };
        let body = readable_form(request);
        let body = if body.is_empty() { String::new() } else { format!("  [{body}]") };
        outln!("    → {} {}{body}  ← {status}", request.method, request.path);
    }

    /// A state change worth showing.
    pub(crate) fn event(self, event: &Event) {
        if self.json {
            return;
        }
        if let Some(text) = event_text(event) {
            outln!("      • {text}");
        }
    }
}

/// A request's form fields for people: `name=value` pairs as typed, not form-encoded
/// (`identifier=ada+clerk_test@example.com`, not `identifier=ada%2Bclerk_test%40example.com`),
/// secrets as `[redacted]`, a value that is empty or holds spaces quoted.
fn readable_form(request: &HttpRequest) -> String {
    let Some(form) = request.form.as_deref() else {
        return String::new();
    };
    let mut out = String::new();
    for field in form {
        if !out.is_empty() {
            out.push(' ');
        }
        let value = field.value.shown();
        if value.is_empty() || value.contains(char::is_whitespace) || value.contains('"') {
            out.push_str(&format!("{}={value:?}", field.name));
        } else {
            out.push_str(&format!("{}={value}", field.name));
        }
    }
    out
}

/// With no active session but others still signed in on this client (after signing out of
/// the active one), how to make one of them active; `None` when there are none.
pub(crate) fn switch_advice(engine: &Client) -> Option<String> {
    let signed_in: Vec<_> = engine.sessions().iter().filter(|session| session.is_signed_in()).collect();
    match signed_in.as_slice() {
        [] => None,
        [session] => {
            let who = session.public_user_data.as_ref().and_then(|p| p.identifier.as_deref());
            let who = who.map(|who| format!(" ({who})")).unwrap_or_default();
            Some(format!(
                "session {}{who} is still signed in: `clerk switch {}` makes it active",
                session.id, session.id
            ))
        }
        sessions => Some(format!(
            "{} sessions are still signed in: `clerk sessions` lists them, `clerk switch SESSION` makes one active",
            sessions.len()
        )),
    }
}

/// The user's name, when the active session's user has one.
fn user_name(engine: &Client) -> Option<String> {
    let user = engine.active_session().and_then(|s| s.user.as_ref())?;
    let name = [user.first_name.clone(), user.last_name.clone()].into_iter().flatten().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

/// Who is signed in, as `whoami --json` prints it; `offline` when it is the state stored
/// here because the Frontend API could not be reached.
pub(crate) fn whoami_json(engine: &Client, offline: bool) -> Value {
    let session = engine.active_session();
    let user = session.and_then(|s| s.user.as_ref());
    json!({
        "signed_in": session.is_some(),
        "session_id": session.map(|s| s.id.clone()),
        "user_id": user.and_then(|u| u.id.clone()),
        "email": user.and_then(|u| u.primary_email_address()).and_then(|e| e.email_address.clone()),
        "name": user_name(engine),
        "organization_id": session.and_then(|s| s.last_active_organization_id.clone()),
        "offline": offline,
    })
}

/// How many sessions there are of each status, in the order the statuses first appear:
/// `2 ended, 1 removed`.
fn status_counts(sessions: &[SessionResource]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for session in sessions {
        let status = session.status.as_ref().map_or("without a status", |status| status.as_str());
        match counts.iter_mut().find(|(seen, _)| *seen == status) {
            Some((_, count)) => *count += 1,
            None => counts.push((status, 1)),
        }
    }
    counts.iter().map(|(status, count)| format!("{count} {status}")).collect::<Vec<_>>().join(", ")
}

/// The client's sessions that `listing` shows, as `sessions --json` prints them.
pub(crate) fn sessions_json(engine: &Client, listing: Listing) -> Value {
    let active = engine.active_session_id();
    let list: Vec<Value> = listing
        .of(engine)
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id,
                "status": s.status.as_ref().map(|s| s.as_str()),
                "active": Some(s.id.as_str()) == active,
                "user_id": s.user.as_ref().and_then(|u| u.id.clone()),
                "identifier": s.public_user_data.as_ref().and_then(|p| p.identifier.clone()),
            })
        })
        .collect();
    Value::Array(list)
}

/// The user's sessions on every device, as `devices --json` prints them (times in
/// milliseconds since the Unix epoch, as the Frontend API gives them).
pub(crate) fn devices_json(devices: &[ActiveSession]) -> Value {
    let millis =
        |at: Option<time::OffsetDateTime>| at.map(|at| i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok());
    let list: Vec<Value> = devices
        .iter()
        .map(|device| {
            let session = &device.session;
            let activity = session.latest_activity.as_ref();
            json!({
                "id": session.id,
                "status": session.status.as_ref().map(|s| s.as_str()),
                "current": device.current,
                "this_device": device.on_this_client,
                "last_active_at": millis(session.last_active_at),
                "expire_at": millis(session.expire_at),
                "device_type": activity.and_then(|a| a.device_type.clone()),
                "is_mobile": activity.map(|a| a.is_mobile),
                "browser_name": activity.and_then(|a| a.browser_name.clone()),
                "browser_version": activity.and_then(|a| a.browser_version.clone()),
                "ip_address": activity.and_then(|a| a.ip_address.clone()),
                "city": activity.and_then(|a| a.city.clone()),
                "country": activity.and_then(|a| a.country.clone()),
            })
        })
        .collect();
    Value::Array(list)
}

/// A time as people read it (RFC 3339, UTC).
fn format_time(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// A sign-out's result, as `sign-out --json` prints it.
pub(crate) fn signed_out_json(confirmation: &SignOutConfirmation) -> Value {
    let confirmed = matches!(confirmation, SignOutConfirmation::Confirmed);
    json!({ "signed_out": true, "confirmed_by_server": confirmed })
}

/// One exchange as JSON: method, path, the form body with every secret redacted, and the
/// status (or the transport error).
pub(crate) fn exchange_json(request: &HttpRequest, result: &Result<HttpResponse, TransportError>) -> Value {
    let mut exchange = json!({ "method": request.method.to_string(), "path": request.path });
    let body = request.redacted_body();
    if !body.is_empty() {
        exchange["body"] = Value::String(body);
    }
    match result {
        Ok(response) => exchange["status"] = json!(response.status),
        Err(error) => exchange["error"] = Value::String(error.to_string()),
    }
    exchange
}

/// A state change worth showing, in words; `None` for the engine's bookkeeping.
pub(crate) fn event_text(event: &Event) -> Option<String> {
    Some(match event {
        Event::SignInStatusChanged { from, to } => {
            format!("sign-in: {} → {}", name(from.as_ref().map(|s| s.as_str())), name(to.as_ref().map(|s| s.as_str())))
        }
        Event::SignUpStatusChanged { from, to } => {
            format!("sign-up: {} → {}", name(from.as_ref().map(|s| s.as_str())), name(to.as_ref().map(|s| s.as_str())))
        }
        Event::ActiveSessionChanged { session_id } => {
            format!("active session → {}", session_id.as_deref().unwrap_or("none"))
        }
        Event::ActiveOrganizationChanged { organization_id } => {
            format!("active organization → {}", organization_id.as_deref().unwrap_or("personal account"))
        }
        Event::ClientTokenChanged { token } => {
            format!("client token {}", if token.is_some() { "rotated" } else { "dropped" })
        }
        Event::SignedOut { reason } => format!("signed out ({reason:?})"),
        Event::EmailLinkSent { .. } => String::from("email link sent"),
        Event::ExternalVerificationRequired { url, .. } => format!("open in a browser: {url}"),
        Event::SessionTokenRefreshed { session_id, .. } => format!("session token refreshed for {session_id}"),
        _ => return None,
    })
}

fn name(status: Option<&str>) -> &str {
    status.unwrap_or("none")
}

#[cfg(test)]
mod tests {
    use clerk_core::wire::SessionResource;

    use super::status_counts;

    #[test]
    fn sessions_not_listed_are_counted_by_status_in_the_order_they_come() {
        let sessions: Vec<SessionResource> = ["ended", "expired", "ended", "removed"]
            .iter()
            .enumerate()
            .map(|(index, status)| {
                serde_json::from_value(
                    serde_json::json!({ "object": "session", "id": format!("sess_{index}"), "status": status }),
                )
                .unwrap_or_else(|e| panic!("a session: {e}"))
            })
            .collect();
        assert_eq!(status_counts(&sessions), "2 ended, 1 expired, 1 removed");
        let without: SessionResource =
            serde_json::from_value(serde_json::json!({ "object": "session", "id": "sess_x" }))
                .unwrap_or_else(|e| panic!("a session: {e}"));
        assert_eq!(status_counts(&[without]), "1 without a status");
    }
}
