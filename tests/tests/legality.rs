//! The legality tables of `docs/state-machines.md` held against the engine.
//!
//! For every flow table (sign-in, sign-up, session, reverification): the columns are
//! exactly the engine's command names, the rows are exactly the flow's "nothing there" row
//! (`no attempt`, `not on the client`, `none started`), every known status and `unknown`;
//! every cell agrees with `clerk_core::{sign_in, sign_up, session, reverification}::legal`;
//! and for every status × command pair, `submit` on an engine in that situation is accepted
//! (and sends the request the cell names) exactly when the cell says legal, and is otherwise
//! refused with `InvalidState`, changing nothing and sending nothing. The session rules the
//! table cannot show (sign-out and tokens without a session, cached and shared tokens) are
//! held by the tests at the end.

use std::collections::BTreeSet;

use clerk_core::reverification::{self, REVERIFICATION_COMMAND_NAMES};
use clerk_core::secret::{Password, VerificationCode};
use clerk_core::session::{self, SESSION_COMMAND_NAMES};
use clerk_core::sign_in::{self, SIGN_IN_COMMAND_NAMES};
use clerk_core::sign_up::{self, SIGN_UP_COMMAND_NAMES};
use clerk_core::wire::{ReverificationLevel, ReverificationStatus, SessionStatus, SignInStatus, SignUpStatus};
use clerk_core::{
    Command, CommandError, Completion, FirstFactorAttempt, FirstFactorPreparation, Flow, Method, OrganizationChoice,
    Output, ReverificationCommand, ReverificationFirstAttempt, ReverificationPreparation, ReverificationSecondAttempt,
    SecondFactorAttempt, SecondFactorPreparation, SessionCommand, SignInCommand, SignInCreate, SignUpAttempt,
    SignUpCommand, SignUpFields, SignUpPreparation, TokenRequest, TouchIntent,
};
use clerk_tests::harness::{Harness, START, client_json, ms, session_json, sign_in_json};
use serde_json::{Value, json};

/// A status no version of the engine knows, for the `unknown` row of the sign-in table.
const UNKNOWN_SIGN_IN_STATUS: &str = "needs_quantum_factor";
/// The same for the sign-up table.
const UNKNOWN_SIGN_UP_STATUS: &str = "awaiting_quantum_approval";
/// The same for the session table.
const UNKNOWN_SESSION_STATUS: &str = "hibernating";
/// The same for the reverification table.
const UNKNOWN_REVERIFICATION_STATUS: &str = "needs_retina_scan";
/// The row of a client without an attempt.
const NO_ATTEMPT: &str = "no attempt";
/// The row of a session the client does not hold.
const NOT_ON_THE_CLIENT: &str = "not on the client";
/// The row of a client without a reverification.
const NONE_STARTED: &str = "none started";
/// The row of a status the engine does not know.
const UNKNOWN: &str = "unknown";
const SIGN_IN_ID: &str = "sia_legality";
const SIGN_UP_ID: &str = "sua_legality";
/// The session every session and reverification command names.
const SESSION_ID: &str = "sess_1";

// ---------------------------------------------------------------------------------------
// The document and its tables
// ---------------------------------------------------------------------------------------

/// One cell: legal with the request it sends, or illegal.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Legal { method: String, path: String },
    Illegal,
}

impl Cell {
    fn is_legal(&self) -> bool {
        matches!(self, Cell::Legal { .. })
    }
}

/// A parsed legality table.
#[derive(Debug)]
struct LegalityTable {
    /// Command names, in column order.
    commands: Vec<String>,
    /// Status rows (`no attempt`, wire statuses, `unknown`) with one cell per command.
    rows: Vec<(String, Vec<Cell>)>,
}

impl LegalityTable {
    fn statuses(&self) -> Vec<&str> {
        self.rows.iter().map(|(status, _)| status.as_str()).collect()
    }
}

fn document() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/state-machines.md");
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// Splits a markdown table row into trimmed cells without the surrounding backticks.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|cell| cell.trim().trim_matches('`').trim().to_owned()).collect()
}

fn parse_cell(text: &str, context: &str) -> Cell {
    if text == "—" {
        return Cell::Illegal;
    }
    let Some(request) = text.strip_prefix('✓') else {
        panic!("{context}: a cell is `✓ METHOD path` or `—`, found {text:?}");
    };
    let words: Vec<&str> = request.split_whitespace().collect();
    match words.as_slice() {
        [method, path] => Cell::Legal { method: (*method).to_owned(), path: (*path).to_owned() },
        _ => panic!("{context}: a legal cell is `✓ METHOD path`, found {text:?}"),
    }
}

/// The table after `<!-- legality-table: <flow> -->`, which must occur exactly once.
fn parse_table(doc: &str, flow: &str) -> LegalityTable {
    let marker = format!("<!-- legality-table: {flow} -->");
    let lines: Vec<&str> = doc.lines().collect();
    let starts: Vec<usize> =
        lines.iter().enumerate().filter(|(_, line)| line.trim() == marker).map(|(i, _)| i).collect();
    assert_eq!(starts.len(), 1, "{marker} must occur exactly once in docs/state-machines.md");
    let table: Vec<&str> = lines
        .iter()
        .skip(starts[0] + 1)
        .skip_while(|line| line.trim().is_empty())
        .take_while(|line| line.trim_start().starts_with('|'))
        .copied()
        .collect();
    assert!(table.len() >= 3, "{flow}: a header, a separator and at least one row after {marker}");

    let header = cells(table[0]);
    assert_eq!(header.first().map(String::as_str), Some("status"), "{flow}: the first column is `status`");
    let commands: Vec<String> = header[1..].to_vec();
    let separator = cells(table[1]);
    assert!(
        separator.len() == header.len() && separator.iter().all(|cell| cell.chars().all(|c| c == '-' || c == ':')),
        "{flow}: the second line is the separator, found {:?}",
        table[1]
    );

    let mut rows = Vec::new();
    for line in &table[2..] {
        let row = cells(line);
        assert_eq!(
            row.len(),
            header.len(),
            "{flow}: row {line:?} has {} cells, the header {}",
            row.len(),
            header.len()
        );
        let status = row[0].clone();
        let parsed = row[1..]
            .iter()
            .zip(&commands)
            .map(|(text, command)| parse_cell(text, &format!("{flow} table, {status} × {command}")))
            .collect();
        rows.push((status, parsed));
    }
    LegalityTable { commands, rows }
}

/// Asserts the columns are the engine's command names in its order, and the rows are
/// `absent` (`no attempt` and the like), every known status and `unknown`, each once.
fn assert_covers(table: &LegalityTable, flow: &str, command_names: &[&str], known_statuses: &[&str], absent: &str) {
    let columns: Vec<&str> = table.commands.iter().map(String::as_str).collect();
    assert_eq!(columns, command_names, "{flow}: the table's columns must be the engine's command names, in order");

    let statuses = table.statuses();
    let unique: BTreeSet<&str> = statuses.iter().copied().collect();
    assert_eq!(unique.len(), statuses.len(), "{flow}: a status row occurs twice: {statuses:?}");
    let mut expected: BTreeSet<&str> = known_statuses.iter().copied().collect();
    expected.insert(absent);
    expected.insert(UNKNOWN);
    assert_eq!(unique, expected, "{flow}: the rows must be `{absent}`, every known status and `unknown`");
}

/// The wire status a row stands for (`None` for the `absent` row: `no attempt` and the like).
fn row_status<'a>(row: &'a str, absent: &str, unknown: &'a str) -> Option<&'a str> {
    match row {
        UNKNOWN => Some(unknown),
        status if status == absent => None,
        status => Some(status),
    }
}

// ---------------------------------------------------------------------------------------
// Driving the engine
// ---------------------------------------------------------------------------------------

/// A sign-in attempt in `status` that offers every factor the representative commands use.
fn sign_in_attempt(status: &str) -> Value {
    let mut attempt = sign_in_json(SIGN_IN_ID, status);
    attempt["supported_first_factors"] = json!([
        { "strategy": "email_code", "email_address_id": "idn_email", "safe_identifier": "ada@example.com" }
    ]);
    attempt["supported_second_factors"] = json!([
        { "strategy": "phone_code", "phone_number_id": "idn_phone", "safe_identifier": "+1******55" }
    ]);
    attempt
}

/// A sign-up attempt in `status` holding an email address to verify and a first name.
fn sign_up_attempt(status: &str) -> Value {
    json!({
        "object": "sign_up_attempt",
        "id": SIGN_UP_ID,
        "status": status,
        "required_fields": ["email_address"],
        "optional_fields": ["first_name"],
        "missing_fields": [],
        "unverified_fields": ["email_address"],
        "verifications": {
            "email_address": { "status": "unverified", "strategy": "email_code", "supported_strategies": ["email_code"] }
        },
        "email_address": "ada@example.com",
        "first_name": "Ada",
        "abandon_at": ms(3600)
    })
}

/// A representative sign-in command of each name.
fn sign_in_command(name: &str) -> SignInCommand {
    let command = match name {
        "create" => SignInCommand::Create(SignInCreate::identifier("ada@example.com")),
        "reload" => SignInCommand::Reload { rotating_token_nonce: None },
        "prepare_first_factor" => {
            SignInCommand::PrepareFirstFactor(FirstFactorPreparation::EmailCode { email_address_id: None })
        }
        "attempt_first_factor" => {
            SignInCommand::AttemptFirstFactor(FirstFactorAttempt::EmailCode(VerificationCode::new("424242")))
        }
        "prepare_second_factor" => {
            SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode { phone_number_id: None })
        }
        "attempt_second_factor" => {
            SignInCommand::AttemptSecondFactor(SecondFactorAttempt::Totp(VerificationCode::new("123456")))
        }
        "reset_password" => {
            SignInCommand::ResetPassword { password: Password::new("a-new-password"), sign_out_of_other_sessions: true }
        }
        other => panic!("no representative sign-in command for {other:?}: add one to tests/tests/legality.rs"),
    };
    assert_eq!(command.name(), name, "the representative of {name} names itself differently");
    command
}

/// A representative sign-up command of each name. The update changes the first name, so
/// it has something to send.
fn sign_up_command(name: &str) -> SignUpCommand {
    let command = match name {
        "create" => SignUpCommand::Create(SignUpFields {
            email_address: Some("grace@example.com".into()),
            ..Default::default()
        }),
        "update" => SignUpCommand::Update(SignUpFields { first_name: Some("Grace".into()), ..Default::default() }),
        "reload" => SignUpCommand::Reload { rotating_token_nonce: None },
        "prepare_verification" => SignUpCommand::PrepareVerification(SignUpPreparation::EmailCode),
        "attempt_verification" => {
            SignUpCommand::AttemptVerification(SignUpAttempt::EmailCode(VerificationCode::new("424242")))
        }
        other => panic!("no representative sign-up command for {other:?}: add one to tests/tests/legality.rs"),
    };
    assert_eq!(command.name(), name, "the representative of {name} names itself differently");
    command
}

/// What one status × command pair should do, and the engine to try it on.
struct Case<'a> {
    flow: Flow,
    row: &'a str,
    command_name: &'a str,
    cell: &'a Cell,
    /// The attempt's (or session's) id, substituted for `{id}` in the cell's path.
    attempt_id: &'a str,
    /// The status text `InvalidState` must carry.
    status_text: String,
    harness: Harness,
    command: Command,
}

/// Submits the case's command and returns what disagrees with the cell, if anything.
fn check(case: Case<'_>) -> Vec<String> {
    let Case { flow, row, command_name, cell, attempt_id, status_text, mut harness, command } = case;
    let pair = format!("{flow:?} {row} × {command_name}");
    let mut problems = Vec::new();
    let before = harness.client.export();
    let result = harness.client.submit(command, harness.now);
    match (cell, result) {
        (Cell::Legal { method, path }, Ok(_)) => {
            let expected_path = path.replace("{id}", attempt_id);
            match harness.poll_request() {
                Some(outgoing) => {
                    let request = &outgoing.request;
                    if request.method.as_str() != method || request.path != expected_path {
                        problems.push(format!(
                            "{pair}: sent {} {}, the table says {method} {expected_path}",
                            request.method.as_str(),
                            request.path
                        ));
                    }
                }
                None => problems.push(format!("{pair}: accepted but sent nothing; the table says {method} {path}")),
            }
        }
        (Cell::Legal { .. }, Err(error)) => {
            problems.push(format!("{pair}: the table says legal, the engine refused: {error:?}"));
        }
        (Cell::Illegal, Ok(op)) => {
            problems.push(format!("{pair}: the table says illegal, the engine accepted it as {op:?}"));
        }
        (Cell::Illegal, Err(error)) => {
            let expected = CommandError::InvalidState {
                flow,
                status: status_text.clone(),
                command: command_name_static(flow, command_name),
            };
            if error != expected {
                problems.push(format!("{pair}: refused with {error:?}, expected {expected:?}"));
            }
            if harness.client.export() != before {
                problems.push(format!("{pair}: the refused command changed the exported state"));
            }
            match harness.drain() {
                Output::Request(outgoing) => {
                    problems.push(format!("{pair}: the refused command sent {:?}", outgoing.request));
                }
                Output::Timeout(_) | Output::Idle => {}
                other => problems.push(format!("{pair}: unexpected output {other:?}")),
            }
            if !harness.events.is_empty() {
                problems.push(format!("{pair}: the refused command produced events {:?}", harness.events));
            }
        }
    }
    problems
}

/// The engine's `&'static str` for a command name (the `command` of `InvalidState`).
fn command_name_static(flow: Flow, name: &str) -> &'static str {
    let names: &[&'static str] = match flow {
        Flow::SignIn => &SIGN_IN_COMMAND_NAMES,
        Flow::SignUp => &SIGN_UP_COMMAND_NAMES,
        Flow::Session => &SESSION_COMMAND_NAMES,
        Flow::Reverification => &REVERIFICATION_COMMAND_NAMES,
        other => panic!("no legality table for {other:?}"),
    };
    names.iter().copied().find(|known| *known == name).unwrap_or_else(|| panic!("unknown command {name}"))
}

fn report(flow: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "docs/state-machines.md and the engine disagree on the {flow} flow ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Sign-in
// ---------------------------------------------------------------------------------------

#[test]
fn sign_in_table_covers_every_command_and_status() {
    let table = parse_table(&document(), "sign_in");
    assert_covers(&table, "sign_in", &SIGN_IN_COMMAND_NAMES, SignInStatus::KNOWN, NO_ATTEMPT);
}

#[test]
fn sign_in_table_agrees_with_the_engines_legality_function() {
    let table = parse_table(&document(), "sign_in");
    let mut problems = Vec::new();
    for (row, cells) in &table.rows {
        let status = row_status(row, NO_ATTEMPT, UNKNOWN_SIGN_IN_STATUS).map(SignInStatus::from);
        for (command, cell) in table.commands.iter().zip(cells) {
            if sign_in::legal(command, status.as_ref()) != cell.is_legal() {
                problems.push(format!("{row} × {command}: the table says {cell:?}, sign_in::legal disagrees"));
            }
        }
    }
    report("sign-in", &problems);
}

#[test]
fn sign_in_submit_does_what_the_table_says_for_every_pair() {
    let table = parse_table(&document(), "sign_in");
    let mut problems = Vec::new();
    let mut pairs = 0;
    for (row, cells) in &table.rows {
        let status = row_status(row, NO_ATTEMPT, UNKNOWN_SIGN_IN_STATUS);
        for (command_name, cell) in table.commands.iter().zip(cells) {
            let mut client = client_json(&[], None, 1);
            client["sign_in"] = status.map_or(Value::Null, sign_in_attempt);
            let harness = Harness::signed_in(&client);
            let held = sign_in::status_name(harness.client.sign_in_status());
            let status_text = status.unwrap_or(NO_ATTEMPT).to_owned();
            assert_eq!(held, status_text, "the engine must hold the attempt of row {row}");
            problems.extend(check(Case {
                flow: Flow::SignIn,
                row,
                command_name,
                cell,
                attempt_id: SIGN_IN_ID,
                status_text,
                harness,
                command: Command::SignIn(sign_in_command(command_name)),
            }));
            pairs += 1;
        }
    }
    report("sign-in", &problems);
    assert_eq!(
        pairs,
        SIGN_IN_COMMAND_NAMES.len() * (SignInStatus::KNOWN.len() + 2),
        "every status × command pair was driven"
    );
}

// ---------------------------------------------------------------------------------------
// Sign-up
// ---------------------------------------------------------------------------------------

#[test]
fn sign_up_table_covers_every_command_and_status() {
    let table = parse_table(&document(), "sign_up");
    assert_covers(&table, "sign_up", &SIGN_UP_COMMAND_NAMES, SignUpStatus::KNOWN, NO_ATTEMPT);
}

#[test]
fn sign_up_table_agrees_with_the_engines_legality_function() {
    let table = parse_table(&document(), "sign_up");
    let mut problems = Vec::new();
    for (row, cells) in &table.rows {
        let status = row_status(row, NO_ATTEMPT, UNKNOWN_SIGN_UP_STATUS).map(SignUpStatus::from);
        for (command, cell) in table.commands.iter().zip(cells) {
            if sign_up::legal(command, status.as_ref()) != cell.is_legal() {
                problems.push(format!("{row} × {command}: the table says {cell:?}, sign_up::legal disagrees"));
            }
        }
    }
    report("sign-up", &problems);
}

#[test]
fn sign_up_submit_does_what_the_table_says_for_every_pair() {
    let table = parse_table(&document(), "sign_up");
    let mut problems = Vec::new();
    let mut pairs = 0;
    for (row, cells) in &table.rows {
        let status = row_status(row, NO_ATTEMPT, UNKNOWN_SIGN_UP_STATUS);
        for (command_name, cell) in table.commands.iter().zip(cells) {
            let mut client = client_json(&[], None, 1);
            client["sign_up"] = status.map_or(Value::Null, sign_up_attempt);
            let harness = Harness::signed_in(&client);
            let held = sign_up::status_name(harness.client.sign_up_status());
            let status_text = status.unwrap_or(NO_ATTEMPT).to_owned();
            assert_eq!(held, status_text, "the engine must hold the attempt of row {row}");
            problems.extend(check(Case {
                flow: Flow::SignUp,
                row,
                command_name,
                cell,
                attempt_id: SIGN_UP_ID,
                status_text,
                harness,
                command: Command::SignUp(sign_up_command(command_name)),
            }));
            pairs += 1;
        }
    }
    report("sign-up", &problems);
    assert_eq!(
        pairs,
        SIGN_UP_COMMAND_NAMES.len() * (SignUpStatus::KNOWN.len() + 2),
        "every status × command pair was driven"
    );
}

#[test]
fn the_unknown_rows_use_statuses_the_engine_does_not_know() {
    assert!(!SignInStatus::from(UNKNOWN_SIGN_IN_STATUS).is_known());
    assert!(!SignUpStatus::from(UNKNOWN_SIGN_UP_STATUS).is_known());
    assert!(!SessionStatus::from(UNKNOWN_SESSION_STATUS).is_known());
    assert!(!ReverificationStatus::from(UNKNOWN_REVERIFICATION_STATUS).is_known());
}

// ---------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------

/// A signed-in engine whose client holds `sess_1` in `status` (and no session for `None`).
/// A signed-in `sess_1` is the last active one, so it is the active session.
fn session_harness(status: Option<&str>) -> Harness {
    let client = match status {
        Some(status) => client_json(&[(SESSION_ID, status)], Some(SESSION_ID), 1),
        None => client_json(&[], None, 1),
    };
    Harness::signed_in(&client)
}

/// A representative session command of each name, naming `sess_1`. `get_token` asks for the
/// default token without `skip_cache`: the cache is empty, so it must be fetched.
fn session_command(name: &str) -> SessionCommand {
    let session_id = SESSION_ID.to_owned();
    let command = match name {
        "set_active" => SessionCommand::SetActive { session_id, organization: OrganizationChoice::SessionDefault },
        "touch" => SessionCommand::Touch { session_id, intent: Some(TouchIntent::Focus) },
        "end" => SessionCommand::End { session_id },
        "remove" => SessionCommand::Remove { session_id },
        "sign_out" => SessionCommand::SignOut { session_id: Some(session_id) },
        "reload" => SessionCommand::Reload { session_id },
        "get_token" => SessionCommand::GetToken(TokenRequest { session_id: Some(session_id), ..Default::default() }),
        other => panic!("no representative session command for {other:?}: add one to tests/tests/legality.rs"),
    };
    assert_eq!(command.name(), name, "the representative of {name} names itself differently");
    command
}

#[test]
fn session_table_covers_every_command_and_status() {
    let table = parse_table(&document(), "session");
    assert_covers(&table, "session", &SESSION_COMMAND_NAMES, SessionStatus::KNOWN, NOT_ON_THE_CLIENT);
}

#[test]
fn session_table_agrees_with_the_engines_legality_function() {
    let table = parse_table(&document(), "session");
    let mut problems = Vec::new();
    for (row, cells) in &table.rows {
        let status = row_status(row, NOT_ON_THE_CLIENT, UNKNOWN_SESSION_STATUS).map(SessionStatus::from);
        for (command, cell) in table.commands.iter().zip(cells) {
            if session::legal(command, status.as_ref()) != cell.is_legal() {
                problems.push(format!("{row} × {command}: the table says {cell:?}, session::legal disagrees"));
            }
        }
    }
    report("session", &problems);
}

#[test]
fn session_submit_does_what_the_table_says_for_every_pair() {
    let table = parse_table(&document(), "session");
    let mut problems = Vec::new();
    let mut pairs = 0;
    for (row, cells) in &table.rows {
        let status = row_status(row, NOT_ON_THE_CLIENT, UNKNOWN_SESSION_STATUS);
        for (command_name, cell) in table.commands.iter().zip(cells) {
            let harness = session_harness(status);
            let held = session::status_name(harness.client.session(SESSION_ID).and_then(|s| s.status.as_ref()));
            let status_text = status.unwrap_or(NOT_ON_THE_CLIENT).to_owned();
            assert_eq!(held, status_text, "the engine must hold sess_1 as row {row} says");
            assert!(harness.client.cached_session_token(SESSION_ID).is_none(), "no token may be cached");
            problems.extend(check(Case {
                flow: Flow::Session,
                row,
                command_name,
                cell,
                attempt_id: SESSION_ID,
                status_text,
                harness,
                command: Command::Session(session_command(command_name)),
            }));
            pairs += 1;
        }
    }
    report("session", &problems);
    assert_eq!(
        pairs,
        SESSION_COMMAND_NAMES.len() * (SessionStatus::KNOWN.len() + 2),
        "every status × command pair was driven"
    );
}

// ---------------------------------------------------------------------------------------
// Reverification
// ---------------------------------------------------------------------------------------

/// A reverification of `sess_1` in `status`, offering every factor the representative
/// commands use.
fn reverification_json(status: &str) -> Value {
    json!({
        "object": "session_reverification",
        "id": "sver_legality",
        "status": status,
        "level": "multi_factor",
        "session": session_json(SESSION_ID, "active"),
        "supported_first_factors": [
            { "strategy": "email_code", "email_address_id": "idn_email", "safe_identifier": "ada@example.com" },
            { "strategy": "password" }
        ],
        "supported_second_factors": [
            { "strategy": "phone_code", "phone_number_id": "idn_phone", "safe_identifier": "+1******55" },
            { "strategy": "totp" }
        ],
        "first_factor_verification": null,
        "second_factor_verification": null
    })
}

fn start_reverification() -> ReverificationCommand {
    ReverificationCommand::Start { session_id: Some(SESSION_ID.to_owned()), level: ReverificationLevel::MultiFactor }
}

/// A signed-in engine (active `sess_1`) holding a reverification in `status`, reached by a
/// `start` the server answered with it; none started for `None`.
fn reverification_harness(status: Option<&str>) -> Harness {
    let mut harness = session_harness(Some("active"));
    if let Some(status) = status {
        let op = harness.submit(Command::Reverification(start_reverification()));
        let request = harness.expect_request();
        harness.respond_json(&request, 200, &json!({ "response": reverification_json(status), "client": null }));
        match harness.expect_success(op) {
            Completion::Reverification(_) => {}
            other => panic!("start completed with {other:?}"),
        }
        harness.clear_events();
    }
    harness
}

/// A representative reverification command of each name.
fn reverification_command(name: &str) -> ReverificationCommand {
    let command = match name {
        "start" => start_reverification(),
        "prepare_first_factor" => {
            ReverificationCommand::PrepareFirstFactor(ReverificationPreparation::EmailCode { email_address_id: None })
        }
        "attempt_first_factor" => {
            ReverificationCommand::AttemptFirstFactor(ReverificationFirstAttempt::Password(Password::new("hunter2")))
        }
        "prepare_second_factor" => ReverificationCommand::PrepareSecondFactor { phone_number_id: None },
        "attempt_second_factor" => ReverificationCommand::AttemptSecondFactor(ReverificationSecondAttempt::Totp(
            VerificationCode::new("123456"),
        )),
        other => panic!("no representative reverification command for {other:?}: add one to tests/tests/legality.rs"),
    };
    assert_eq!(command.name(), name, "the representative of {name} names itself differently");
    command
}

#[test]
fn reverification_table_covers_every_command_and_status() {
    let table = parse_table(&document(), "reverification");
    assert_covers(&table, "reverification", &REVERIFICATION_COMMAND_NAMES, ReverificationStatus::KNOWN, NONE_STARTED);
}

#[test]
fn reverification_table_agrees_with_the_engines_legality_function() {
    let table = parse_table(&document(), "reverification");
    let mut problems = Vec::new();
    for (row, cells) in &table.rows {
        let status = row_status(row, NONE_STARTED, UNKNOWN_REVERIFICATION_STATUS).map(ReverificationStatus::from);
        for (command, cell) in table.commands.iter().zip(cells) {
            if reverification::legal(command, status.as_ref()) != cell.is_legal() {
                problems.push(format!("{row} × {command}: the table says {cell:?}, reverification::legal disagrees"));
            }
        }
    }
    report("reverification", &problems);
}

#[test]
fn reverification_submit_does_what_the_table_says_for_every_pair() {
    let table = parse_table(&document(), "reverification");
    let mut problems = Vec::new();
    let mut pairs = 0;
    for (row, cells) in &table.rows {
        let status = row_status(row, NONE_STARTED, UNKNOWN_REVERIFICATION_STATUS);
        for (command_name, cell) in table.commands.iter().zip(cells) {
            let harness = reverification_harness(status);
            let held =
                reverification::status_name(harness.client.reverification().and_then(|(_, r)| r.status.as_ref()));
            let status_text = status.unwrap_or(NONE_STARTED).to_owned();
            assert_eq!(held, status_text, "the engine must hold the reverification of row {row}");
            problems.extend(check(Case {
                flow: Flow::Reverification,
                row,
                command_name,
                cell,
                attempt_id: SESSION_ID,
                status_text,
                harness,
                command: Command::Reverification(reverification_command(command_name)),
            }));
            pairs += 1;
        }
    }
    report("reverification", &problems);
    assert_eq!(
        pairs,
        REVERIFICATION_COMMAND_NAMES.len() * (ReverificationStatus::KNOWN.len() + 2),
        "every status × command pair was driven"
    );
}

// ---------------------------------------------------------------------------------------
// Session rules the table cannot show
// ---------------------------------------------------------------------------------------

fn default_token_of(session_id: Option<&str>) -> Command {
    Command::Session(SessionCommand::GetToken(TokenRequest {
        session_id: session_id.map(str::to_owned),
        ..Default::default()
    }))
}

#[test]
fn sign_out_without_a_session_is_legal_with_or_without_sessions() {
    for status in [None, Some("active"), Some("ended")] {
        let mut harness = session_harness(status);
        let result = harness.client.submit(Command::Session(SessionCommand::SignOut { session_id: None }), harness.now);
        assert!(result.is_ok(), "sign_out with sess_1 {status:?}: refused {result:?}");
        let request = harness.expect_request().request;
        assert_eq!((request.method, request.path.as_str()), (Method::Delete, "/v1/client/sessions"));
        assert!(harness.client.signed_in_sessions().next().is_none(), "no signed-in session is left locally");
    }
}

#[test]
fn get_token_without_a_session_asks_for_the_active_ones() {
    let mut harness = session_harness(Some("active"));
    assert_eq!(harness.client.active_session_id(), Some(SESSION_ID));
    let result = harness.client.submit(default_token_of(None), harness.now);
    assert!(result.is_ok(), "get_token for the active session refused: {result:?}");
    let request = harness.expect_request().request;
    assert_eq!((request.method, request.path.as_str()), (Method::Post, "/v1/client/sessions/sess_1/tokens"));
}

#[test]
fn get_token_without_a_session_is_refused_without_an_active_one() {
    for status in [None, Some("ended"), Some(UNKNOWN_SESSION_STATUS)] {
        let mut harness = session_harness(status);
        assert_eq!(harness.client.active_session_id(), None, "sess_1 {status:?} is not active");
        let before = harness.client.export();
        let error = harness.client.submit(default_token_of(None), harness.now);
        assert_eq!(error, Err(CommandError::NoActiveSession { command: "get_token" }));
        assert_eq!(harness.client.export(), before, "the refused get_token changed the state");
        assert!(matches!(harness.drain(), Output::Idle | Output::Timeout(_)), "the refused get_token sent something");
    }
}

#[test]
fn a_cached_token_sends_nothing_and_concurrent_asks_share_one_request() {
    let mut harness = session_harness(Some("active"));
    let first = harness.submit(default_token_of(Some(SESSION_ID)));
    let request = harness.expect_request();
    let second = harness.submit(default_token_of(Some(SESSION_ID)));
    assert!(harness.poll_request().is_none(), "a second ask while the fetch is out must not send again");

    let jwt = clerk_tests::canned_jwt(SESSION_ID, START.unix_timestamp(), START.unix_timestamp() + 60);
    harness.respond_json(&request, 200, &json!({ "object": "token", "jwt": jwt }));
    for op in [first, second] {
        match harness.expect_success(op) {
            Completion::SessionToken(token) => assert_eq!(token.expose(), jwt),
            other => panic!("get_token completed with {other:?}"),
        }
    }

    let third = harness.submit(default_token_of(Some(SESSION_ID)));
    assert!(harness.poll_request().is_none(), "a usable cached token must be served without a request");
    match harness.expect_success(third) {
        Completion::SessionToken(token) => assert_eq!(token.expose(), jwt),
        other => panic!("get_token completed with {other:?}"),
    }

    let skip = Command::Session(SessionCommand::GetToken(TokenRequest {
        session_id: Some(SESSION_ID.to_owned()),
        skip_cache: true,
        ..Default::default()
    }));
    harness.client.submit(skip, harness.now).unwrap_or_else(|error| panic!("skip_cache refused: {error}"));
    let request = harness.expect_request().request;
    assert_eq!(request.path, "/v1/client/sessions/sess_1/tokens");
    assert!(
        request.query_string().split('&').any(|pair| pair == "debug=skip_cache"),
        "skip_cache fetches even with a usable token, asking debug=skip_cache: {}",
        request.query_string()
    );
}
