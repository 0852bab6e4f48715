//! Drives the engine through a recorded Frontend API flow and prints each request, each
//! answer's status and every state change.
//!
//! ```text
//! cargo run -p clerk-core --example replay [FLOW]
//! ```
//!
//! `FLOW` is a folder under `../shared/fixtures/recorded/` (default:
//! `clerk_auth/sign_in_test/sign_in_with_email_link`). The recordings carry no headers, so
//! the example adds a client token to the first answer, to show how a native client adopts
//! and persists it. Exchanges whose command the engine does not model yet are replayed as a
//! `GET /v1/client` answered with the client the recording shows at that point.

use std::error::Error;
use std::path::PathBuf;

use clerk_core::{Client, ClientCommand, ClientConfig, Command, Event, HttpResponse, OpId, Output, RequestId};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const DEFAULT_FLOW: &str = "clerk_auth/sign_in_test/sign_in_with_email_link";
const PUBLISHABLE_KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";
/// Base of the `%%DATETIME n%%` placeholders, in milliseconds.
const BASE_MS: i64 = 1_767_225_600_000;

fn shared_dir() -> PathBuf {
    std::env::var_os("CLERK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

/// Puts real values where the recorder left placeholders (see the fixtures' README).
fn substitute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("\"%%DATETIME ") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "\"%%DATETIME ".len()..];
        match after.find("%%\"") {
            Some(end) => {
                let seconds: i64 = after[..end].trim().parse().unwrap_or(0);
                out.push_str(&(BASE_MS + seconds * 1000).to_string());
                rest = &after[end + 3..];
            }
            None => {
                out.push_str("\"%%DATETIME ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("\"first_name\": \"%%FIRSTNAME%%\"", "\"first_name\": \"on\"")
        .replace("\"last_name\": \"%%LASTNAME%%\"", "\"last_name\": \"on\"")
        .replace("\"email_address\": \"%%EMAIL%%\"", "\"email_address\": \"on\"")
        .replace("%%EMAIL%%", "ada+clerk_test@example.com")
        .replace("%%PHONE%%", "+15555550100")
        .replace("%%FIRSTNAME%%", "Ada")
        .replace("%%LASTNAME%%", "Lovelace")
}

fn main() -> Result<(), Box<dyn Error>> {
    let flow = std::env::args().nth(1).unwrap_or_else(|| DEFAULT_FLOW.to_owned());
    let folder = shared_dir().join("fixtures/recorded").join(&flow);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .map_err(|e| format!("cannot read {}: {e} (set CLERK_SHARED_DIR)", folder.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();

    println!("Replaying {flow} ({} exchanges) against {PUBLISHABLE_KEY}", files.len());
    let config = ClientConfig::from_publishable_key(PUBLISHABLE_KEY)?;
    let base_url = config.base_url();
    let mut now: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);
    let mut client = Client::new(config, now);
    let mut first_answer = true;

    for file in files {
        let recorded: serde_json::Value = serde_json::from_str(&substitute(&std::fs::read_to_string(&file)?))?;
        let key = recorded["key"].as_str().unwrap_or_default().to_owned();
        let mut body = recorded["body"].clone();
        let (method, rest) = key.split_once(' ').unwrap_or(("", ""));
        let path = rest.split(['?', ' ']).next().unwrap_or_default();
        println!();
        println!("# {}: {key}", file.file_name().and_then(|n| n.to_str()).unwrap_or_default());
        let op: OpId = match (method, path) {
            ("POST", "/v1/client") => client.create(now)?,
            ("GET", "/v1/environment") => client.submit(Command::Client(ClientCommand::LoadEnvironment), now)?,
            ("GET", "/v1/client") => client.reload(now),
            _ => match body.get("client").filter(|c| c.is_object()).cloned() {
                Some(recorded_client) => {
                    println!("  (not modelled yet: applying the recorded client through a reload)");
                    body = serde_json::json!({ "response": recorded_client, "client": null });
                    client.reload(now)
                }
                None => {
                    println!("  (skipped: not a client exchange)");
                    continue;
                }
            },
        };
        let bytes = serde_json::to_vec(&body)?;
        loop {
            match client.poll_output() {
                Output::Request(outgoing) => {
                    let request = &outgoing.request;
                    println!("  → {} {}", request.method, request.url(&base_url));
                    let shown = request.redacted_body();
                    if !shown.is_empty() {
                        println!("    body: {shown}");
                    }
                    let mut response = HttpResponse::ok_json(bytes.clone());
                    if first_answer {
                        response = response.with_header("authorization", "example-client-token");
                        first_answer = false;
                    }
                    println!("  ← {} ({} bytes)", response.status, response.body.len());
                    let id: RequestId = outgoing.id;
                    now += Duration::milliseconds(250);
                    client.handle_response(id, Ok(response), now)?;
                }
                Output::Event(Event::OperationCompleted { op: done, outcome }) if done == op => match outcome {
                    Ok(completion) => println!("  ✓ {completion:?}"),
                    Err(error) => println!("  ✗ {error}"),
                },
                Output::Event(event) => print_event(&event),
                Output::Timeout(deadline) => {
                    now = deadline;
                    client.handle_timeout(now);
                }
                Output::Idle => break,
                _ => break,
            }
        }
        println!(
            "  state: sign-in {:?}, sign-up {:?}, sessions {}, active {:?}",
            client.sign_in_status(),
            client.sign_up_status(),
            client.sessions().len(),
            client.active_session_id()
        );
    }
    let saved = client.export();
    println!();
    println!(
        "Persisted state: {} bytes (client token included; Debug shows {:?})",
        saved.to_json().len(),
        saved.client_token
    );
    Ok(())
}

fn print_event(event: &Event) {
    match event {
        Event::ClientTokenChanged { token } => println!("  • client token changed ({token:?}): persist it"),
        Event::SignInStatusChanged { from, to } => println!("  • sign-in status {from:?} → {to:?}"),
        Event::SignUpStatusChanged { from, to } => println!("  • sign-up status {from:?} → {to:?}"),
        Event::ActiveSessionChanged { session_id } => println!("  • active session → {session_id:?}"),
        Event::SessionsChanged => println!("  • sessions changed"),
        Event::SignedOut { reason } => println!("  • signed out: {reason:?}"),
        Event::EnvironmentUpdated => println!("  • environment loaded"),
        Event::ClientUpdated => println!("  • client updated"),
        other => println!("  • {other:?}"),
    }
}
