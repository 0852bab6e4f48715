//! How `clerk demo` tells its tour: as it happens in text, or with `--json` as JSON Lines.
//!
//! In JSON mode each step is one line, one JSON object:
//!
//! ```text
//! {"step":"sign-in","number":4,"title":"Sign in as …","exchanges":[{"method":"POST","path":"/v1/client/sign_ins","body":"…","status":200}],"events":["sign-in: none → needs_second_factor"],"whoami":{…}}
//! ```
//!
//! `step` names the step; `exchanges` are the requests it made (secrets redacted) and their
//! status; `events` are the state changes it caused, in the words the text mode uses; the
//! other fields are what the step shows (`whoami`, `sessions`, `signed_out`,
//! `verified_claims`, …), with the same content as the matching command's `--json` output.

use std::sync::{Arc, Mutex, PoisonError};

use clerk_core::{Client, SignOutConfirmation};
use clerk_store::drive::{EventListener, ExchangeListener};
use serde_json::{Map, Value, json};

use crate::output::{self, Output};
use crate::stdout::{json_line, outln};

/// What happened since the current step began (JSON mode), filled by the driver's listeners.
#[derive(Debug, Default)]
struct StepLog {
    exchanges: Vec<Value>,
    events: Vec<String>,
}

/// The teller of the tour. In JSON mode a step's line is printed when the next step begins,
/// or at [`finish`](Self::finish).
#[derive(Debug)]
pub(crate) struct Narration {
    out: Output,
    /// The step being told (JSON mode): its object so far.
    step: Option<Map<String, Value>>,
    log: Arc<Mutex<StepLog>>,
}

impl Narration {
    pub(crate) fn new(out: Output) -> Self {
        Narration { out, step: None, log: Arc::default() }
    }

    /// A listener for the driver's events: shown at once in text, logged for the step in JSON.
    pub(crate) fn event_listener(&self) -> EventListener {
        let (out, log) = (self.out, Arc::clone(&self.log));
        Box::new(move |event| {
            if !out.is_json() {
                out.event(event);
            } else if let Some(text) = output::event_text(event) {
                log.lock().unwrap_or_else(PoisonError::into_inner).events.push(text);
            }
        })
    }

    /// A listener for the driver's exchanges: shown at once in text, logged for the step in
    /// JSON. Secrets are redacted either way.
    pub(crate) fn exchange_listener(&self) -> ExchangeListener {
        let (out, log) = (self.out, Arc::clone(&self.log));
        Box::new(move |request, result| {
            if out.is_json() {
                let exchange = output::exchange_json(request, result);
                log.lock().unwrap_or_else(PoisonError::into_inner).exchanges.push(exchange);
            } else {
                out.exchange(request, result);
            }
        })
    }

    /// Begins a step: `name` is its machine name (the `step` field), `title` its heading.
    pub(crate) fn begin(&mut self, number: u32, name: &str, title: &str) {
        self.end_step();
        if self.out.is_json() {
            let mut step = Map::new();
            step.insert(String::from("step"), json!(name));
            step.insert(String::from("number"), json!(number));
            step.insert(String::from("title"), json!(title));
            self.step = Some(step);
        } else {
            outln!("\n{number}. {title}");
        }
    }

    /// A line for people (text mode only; JSON carries the same facts in fields).
    pub(crate) fn note(&self, text: &str) {
        self.out.note(text);
    }

    /// Adds a fact to the current step (JSON mode only).
    pub(crate) fn record(&mut self, field: &str, value: Value) {
        if let Some(step) = &mut self.step {
            step.insert(field.to_owned(), value);
        }
    }

    /// Shows who is signed in.
    pub(crate) fn whoami(&mut self, engine: &Client) {
        if self.out.is_json() {
            self.record("whoami", output::whoami_json(engine, false));
        } else {
            self.out.whoami(engine);
        }
    }

    /// Shows the client's signed-in sessions, as `clerk sessions` does.
    pub(crate) fn sessions(&mut self, engine: &Client) {
        if self.out.is_json() {
            self.record("sessions", output::sessions_json(engine, output::Listing::SignedIn));
        } else {
            self.out.sessions(engine, output::Listing::SignedIn, false);
        }
    }

    /// Shows a sign-out's result.
    pub(crate) fn signed_out(&mut self, confirmation: &SignOutConfirmation) {
        if self.out.is_json() {
            self.record("signed_out", output::signed_out_json(confirmation));
        } else {
            self.out.signed_out(confirmation);
        }
    }

    /// Ends the tour: prints the last step (JSON mode).
    pub(crate) fn finish(mut self) {
        self.end_step();
    }

    /// Prints the current step's line with what it logged (JSON mode), and starts a new log.
    fn end_step(&mut self) {
        let log = std::mem::take(&mut *self.log.lock().unwrap_or_else(PoisonError::into_inner));
        if let Some(mut step) = self.step.take() {
            step.insert(String::from("exchanges"), Value::Array(log.exchanges));
            step.insert(String::from("events"), json!(log.events));
            json_line(&Value::Object(step));
        }
    }
}
