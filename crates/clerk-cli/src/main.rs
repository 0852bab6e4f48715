//! `clerk`: sign in and up with Clerk from a terminal.
//!
//! ```text
//! clerk demo                      # a guided tour against a built-in local Frontend API
//! clerk sign-in [--identifier ID] [--password-stdin] [--code CODE | --code-stdin] [--strategy S] [--second-factor S]
//! clerk sign-up [--email E] [--phone P] [--password-stdin] [--code CODE | --code-stdin] [--legal-accepted]
//! clerk whoami | sessions [--all] | switch SESSION [--org ORG]
//! clerk devices [--revoke SESSION]  # the user's sessions on every device; revoke one
//! clerk token [--template T] [--org O | --personal]
//! clerk sign-out [--all | SESSION]
//! clerk replay FILE               # replay a transcript through the engine
//! ```
//!
//! The publishable key comes from `--publishable-key` or `CLERK_PUBLISHABLE_KEY`. The
//! client token is kept in the platform's config directory (one file per Frontend API
//! host, so a real token never goes to the mock or back).
//!
//! Everything printed on standard output goes through [`stdout::outln!`]: when the reader
//! goes away (`clerk demo | head -3`) the program stops quietly with status 0.
//!
//! Exit status (`--help` lists it too): 0 on success; 1 on an error, said on standard
//! error; 2 on a usage error (clap's); 3 when `whoami` finds no one signed in (it still says
//! so on standard output, or prints JSON with `"signed_in": false`), so that `clerk whoami &&
//! …` can tell.
//!
//! An error is said as `clerk: MESSAGE`, or with `--json` as one JSON object on one line,
//! the last on standard error, such as
//! `{"error":{"kind":"api","message":"…","code":"form_password_incorrect","param":"password"}}`
//! (see [`failure`] for its fields and kinds); usage errors too, whenever `--json` was given.
#![forbid(unsafe_code)]
#![deny(clippy::print_stdout)]

mod demo;
mod failure;
mod interactive;
mod narration;
mod offline;
mod output;
mod replay;
mod stdout;
mod terminal;
mod token_file;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use clerk_core::ClientConfig;
use clerk_store::{FileStore, TranscriptWriter};
use clerk_ureq::{Clerk, DriverError};
use failure::{Failure, Kind};

/// The exit status of `whoami` when no one is signed in.
const NOT_SIGNED_IN: u8 = 3;

/// The exit statuses, as `--help` lists them.
const EXIT_STATUS_HELP: &str = "Exit status:
  0  success
  1  an error (said on standard error; with --json as one JSON object on its last line,
     {\"error\":{\"kind\":…,\"message\":…}} with \"code\" and \"param\" when the server gave them)
  2  a usage error (with --json, a JSON object of kind \"usage\")
  3  `whoami`: no one is signed in (it still says so, or prints JSON with \"signed_in\": false)
130  interrupted (Ctrl-C at a prompt or while waiting for an email link; nothing more is written)";

/// Sign in and up with Clerk from a terminal.
#[derive(Debug, Parser)]
#[command(name = "clerk", version, about, after_help = EXIT_STATUS_HELP)]
struct Cli {
    /// The publishable key (`pk_test_…` / `pk_live_…`); defaults to $CLERK_PUBLISHABLE_KEY.
    #[arg(long, global = true, env = "CLERK_PUBLISHABLE_KEY", hide_env_values = true)]
    publishable_key: Option<String>,
    /// Print machine-readable JSON instead of text; an error too, as one JSON object on
    /// standard error: {"error":{"kind":…,"message":…}}.
    #[arg(long, global = true)]
    json: bool,
    /// Record every exchange, secrets redacted, as JSON lines in FILE.
    #[arg(long, global = true, value_name = "FILE")]
    transcript: Option<PathBuf>,
    /// Where the client token is kept (default: the platform's config directory).
    #[arg(long, global = true, value_name = "DIR")]
    store_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    command: Action,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Action {
    /// Sign in (asks for what it needs; scriptable with --identifier, --password-stdin, --code
    /// or --code-stdin).
    SignIn(interactive::SignInArgs),
    /// Sign up (asks for what it needs; scriptable with flags).
    SignUp(interactive::SignUpArgs),
    /// Show the signed-in user and session (exit status 3 when no one is signed in).
    Whoami,
    /// List the client's signed-in sessions (active or pending); --all lists every one.
    Sessions {
        /// Also list the sessions no longer signed in (ended, removed, expired, …), with
        /// their status.
        #[arg(long)]
        all: bool,
    },
    /// Make another session active (optionally with an organization).
    Switch {
        /// The session id.
        session: String,
        /// An organization (id or slug) to activate.
        #[arg(long)]
        org: Option<String>,
    },
    /// Print a session token (JWT) for the active session.
    Token {
        /// A JWT template name.
        #[arg(long)]
        template: Option<String>,
        /// An organization (id or slug).
        #[arg(long, conflicts_with = "personal")]
        org: Option<String>,
        /// The personal account (no organization).
        #[arg(long)]
        personal: bool,
        /// Fetch even when a cached token is usable.
        #[arg(long)]
        skip_cache: bool,
    },
    /// Sign out of the active session, one session, or all (--all).
    SignOut {
        /// Sign out of every session.
        #[arg(long, conflicts_with = "session")]
        all: bool,
        /// The session to sign out of (default: the active one).
        session: Option<String>,
    },
    /// List the signed-in user's active sessions on every device, or revoke one (--revoke).
    ///
    /// Lists each session with where it was last used (device, browser, IP address, place),
    /// marking this client's active session with `*` and its other sessions with "this
    /// device". Revoking another device's session signs that device out on its next
    /// request; revoking this device's own session signs it out here too.
    Devices {
        /// The session to revoke (an id from the list).
        #[arg(long, value_name = "SESSION")]
        revoke: Option<String>,
    },
    /// Replay a transcript (from --transcript) through the engine and report differences.
    ///
    /// With --json, prints the state the transcript ends in, as `whoami --json` does. It sends
    /// nothing and stores nothing: --transcript, --publishable-key and --store-dir do not
    /// apply and are refused ($CLERK_PUBLISHABLE_KEY is ignored).
    Replay {
        /// The transcript file.
        file: PathBuf,
    },
    /// A guided tour against a local Frontend API started in-process.
    ///
    /// With --json, prints JSON Lines: one JSON object per line, one line per step, each
    /// with a "step" field naming the step, its "title", the "exchanges" it made (method,
    /// path, status; secrets never shown), the "events" it caused, and what it shows
    /// (such as "whoami", "sessions", "signed_out", "verified_claims").
    ///
    /// With --transcript, records its exchanges. It runs its own Frontend API and keeps its
    /// client in memory: --publishable-key and --store-dir do not apply and are refused
    /// ($CLERK_PUBLISHABLE_KEY is ignored).
    Demo,
}

/// This program's product in the `User-Agent` it sends, before the driver's: Clerk shows
/// it in the user's list of devices (`clerk devices`).
pub(crate) const USER_AGENT: &str = concat!("clerk-cli/", env!("CARGO_PKG_VERSION"));

fn main() -> ExitCode {
    let matches = Cli::command()
        .try_get_matches()
        .unwrap_or_else(|error| exit_for_usage(&error, json_asked_for(std::env::args_os()).then(|| usage(&error))));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| {
        let error = error.format(&mut Cli::command());
        exit_for_usage(&error, matches.get_flag("json").then(|| usage(&error)))
    });
    failure::report_as_json(cli.json);
    if let Some(refusal) = inapplicable_option(&cli, &matches) {
        let error = Cli::command().error(clap::error::ErrorKind::ArgumentConflict, &refusal);
        exit_for_usage(&error, cli.json.then(|| Failure::new(Kind::Usage, refusal)));
    }
    match run(cli) {
        Ok(status) => {
            stdout::flush();
            status
        }
        Err(failure) => {
            // The command's own failure is the one to report: a failed write of what it
            // printed before must not take its place.
            stdout::flush_if_possible();
            failure::report(&failure);
            ExitCode::FAILURE
        }
    }
}

/// Ends the program for what clap stopped at: `--help` and `--version` (clap prints them on
/// standard output, status 0), or a usage error (status 2), said by clap, or reported as
/// `as_json` when `--json` was given.
fn exit_for_usage(error: &clap::Error, as_json: Option<Failure>) -> ! {
    match as_json {
        Some(failure) if error.use_stderr() => {
            failure::report_as_json(true);
            failure::report(&failure);
            std::process::exit(error.exit_code());
        }
        _ => error.exit(),
    }
}

/// A usage error of clap's as a failure: its text without the `error: ` clap starts it with.
fn usage(error: &clap::Error) -> Failure {
    let text = error.render().to_string();
    let text = text.trim_end();
    Failure::new(Kind::Usage, text.strip_prefix("error: ").unwrap_or(text))
}

/// Whether `--json` is among the program's arguments (before a `--`), for a command line clap
/// could not parse: a script that asked for JSON gets its usage error as JSON too.
fn json_asked_for(args: impl IntoIterator<Item = OsString>) -> bool {
    args.into_iter().skip(1).take_while(|arg| arg != "--").any(|arg| arg == "--json")
}

/// Why a global option given on the command line cannot apply to the command, if one was:
/// `demo` runs its own Frontend API and keeps its client in memory, `replay` sends and
/// stores nothing. Refused rather than ignored, so that nobody believes it was used. A key
/// from `CLERK_PUBLISHABLE_KEY` is no option given, and stays ignored.
fn inapplicable_option(cli: &Cli, matches: &ArgMatches) -> Option<String> {
    let refused: &[(&str, &str, &str)] = match cli.command {
        Action::Demo => &[
            ("publishable_key", "--publishable-key", "it runs its own local Frontend API, with its own key"),
            ("store_dir", "--store-dir", "it keeps its client in memory and stores nothing"),
        ],
        Action::Replay { .. } => &[
            ("publishable_key", "--publishable-key", "it talks to no server: the Frontend API is the transcript's"),
            ("store_dir", "--store-dir", "it starts from an empty client and stores nothing"),
            (
                "transcript",
                "--transcript",
                "it sends nothing, so there is nothing to record; the transcript to replay is its FILE argument",
            ),
        ],
        _ => return None,
    };
    let command = if matches!(cli.command, Action::Demo) { "demo" } else { "replay" };
    refused
        .iter()
        .find(|(id, _, _)| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|(_, option, why)| format!("{option} does not apply to `clerk {command}`: {why}"))
}

/// Runs the command; its exit status, or the failure to report.
fn run(cli: Cli) -> Result<ExitCode, Failure> {
    let out = output::Output::new(cli.json);
    match cli.command {
        Action::Demo => return demo::run(out, cli.transcript.as_deref()).map(|()| ExitCode::SUCCESS),
        Action::Replay { file } => return replay::run(out, &file).map(|()| ExitCode::SUCCESS),
        _ => {}
    }
    // An empty `CLERK_PUBLISHABLE_KEY=` is no key, not an invalid one.
    let Some(key) = cli.publishable_key.as_deref().map(str::trim).filter(|key| !key.is_empty()) else {
        return Err(Failure::new(
            Kind::Config,
            "no publishable key. Set CLERK_PUBLISHABLE_KEY or pass --publishable-key.\n\
             To try things out without a Clerk account: `clerk demo`, or start the local\n\
             Frontend API with `cargo run -p clerk-mock` and use the key it prints.",
        ));
    };
    let config = config_for_key(key)?;
    let dir = match cli.store_dir {
        Some(dir) => dir,
        None => clerk_store::default_dir("clerk-rs").map_err(|e| Failure::new(Kind::Store, e.to_string()))?,
    };
    let store = FileStore::for_config(&dir, &config).map_err(|e| Failure::new(Kind::Store, e.to_string()))?;
    token_file::remember(store.path());
    let mut builder = Clerk::builder(config).store(Arc::new(store)).user_agent(USER_AGENT);
    if let Some(path) = &cli.transcript {
        builder = builder.transcript(TranscriptWriter::create(path).map_err(transcript_failure)?);
    }
    let mut clerk = builder.build().map_err(describe)?;
    // Only what can be done from the stored state goes on without the server.
    let works_offline = matches!(cli.command, Action::Whoami | Action::Sessions { .. } | Action::SignOut { .. });
    let out = out.offline(offline::load_or_keep_stored(&mut clerk, works_offline)?);
    let done = match cli.command {
        Action::SignIn(args) => interactive::sign_in(&mut clerk, out, args),
        Action::SignUp(args) => interactive::sign_up(&mut clerk, out, args),
        Action::Whoami => {
            out.whoami(clerk.engine());
            // What `whoami` just printed decides: "Not signed in." (or `"signed_in": false`).
            let signed_in = clerk.engine().active_session().is_some();
            return Ok(if signed_in { ExitCode::SUCCESS } else { ExitCode::from(NOT_SIGNED_IN) });
        }
        Action::Sessions { all } => {
            out.sessions(clerk.engine(), if all { output::Listing::All } else { output::Listing::SignedIn }, true);
            Ok(())
        }
        Action::Switch { session, org } => {
            signed_in_session(clerk.engine(), &session)?;
            let organization =
                org.map_or(clerk_core::OrganizationChoice::SessionDefault, clerk_core::OrganizationChoice::Id);
            clerk.set_active(&session, organization).map_err(describe)?;
            out.whoami(clerk.engine());
            Ok(())
        }
        Action::Token { template, org, personal, skip_cache } => {
            let organization = match (org, personal) {
                (Some(org), _) => clerk_core::OrganizationChoice::Id(org),
                (None, true) => clerk_core::OrganizationChoice::Personal,
                (None, false) => clerk_core::OrganizationChoice::SessionDefault,
            };
            if clerk.engine().active_session_id().is_none() {
                return Err(not_signed_in(clerk.engine(), "run `clerk sign-in` first"));
            }
            let request = clerk_core::TokenRequest { session_id: None, template, organization, skip_cache };
            let token = clerk.get_token(request).map_err(describe)?;
            out.token(&token);
            Ok(())
        }
        Action::SignOut { all, session } => {
            let target =
                if all { None } else { session.or_else(|| clerk.engine().active_session_id().map(str::to_owned)) };
            if !all && target.is_none() {
                return Err(not_signed_in(clerk.engine(), "use --all to clear every session"));
            }
            if let (false, Some(session)) = (all, target.as_deref()) {
                signed_in_session(clerk.engine(), session)?;
            }
            let confirmation = clerk.sign_out(target.as_deref()).map_err(describe)?;
            out.signed_out(&confirmation);
            if clerk.engine().active_session_id().is_none()
                && let Some(advice) = output::switch_advice(clerk.engine())
            {
                out.note(&format!("  {advice}"));
            }
            Ok(())
        }
        Action::Devices { revoke } => {
            if clerk.engine().active_session_id().is_none() {
                return Err(Failure::new(Kind::NotSignedIn, "not signed in: run `clerk sign-in` first"));
            }
            match revoke {
                None => {
                    let devices = clerk.active_sessions().map_err(describe)?;
                    out.devices(&devices);
                }
                Some(session) => {
                    let own = clerk.revoke_session(&session).map_err(describe)?;
                    out.revoked(&session, own, clerk.engine().active_session_id().is_some());
                }
            }
            Ok(())
        }
        Action::Replay { .. } | Action::Demo => Ok(()),
    };
    done.map(|()| ExitCode::SUCCESS)
}

/// The engine configuration for a key. A key whose Frontend API host is on the loopback
/// interface (the local mock) is reached over plain HTTP: `clerk_core`'s rule
/// (`clerk_core::config::is_loopback_host`), the same for every user of the library.
fn config_for_key(key: &str) -> Result<ClientConfig, Failure> {
    ClientConfig::from_publishable_key(key).map_err(|e| Failure::new(Kind::Config, e.to_string()))
}

/// A transcript that cannot be created, opened or read, as a failure.
pub(crate) fn transcript_failure(error: clerk_store::TranscriptError) -> Failure {
    Failure::new(Kind::Transcript, error.to_string())
}

/// The failure of a command that needs an active session when there is none: how to make
/// one active when others are still signed in, else `otherwise`.
fn not_signed_in(engine: &clerk_core::Client, otherwise: &str) -> Failure {
    let message = match output::switch_advice(engine) {
        Some(advice) => format!("no active session; {advice}"),
        None => format!("not signed in: {otherwise}"),
    };
    Failure::new(Kind::NotSignedIn, message)
}

/// Checks that `id` names a signed-in session of this client, with advice when not.
fn signed_in_session(engine: &clerk_core::Client, id: &str) -> Result<(), Failure> {
    match engine.session(id) {
        None => Err(Failure::new(Kind::Input, format!("no session {id} on this client: `clerk sessions` lists them"))),
        Some(session) if !session.is_signed_in() => Err(Failure::new(
            Kind::Input,
            format!(
                "session {id} is {}, no longer signed in: `clerk sessions` lists those that are",
                session.status.as_ref().map_or("in an unknown state", |status| status.as_str())
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// A driver error as a failure to report. The Frontend API's refusal keeps its code, the
/// field at fault and the session it names; an identifier already signed in is said as the
/// session to switch to; an error about the token file says where the file is and how to
/// start over.
pub(crate) fn describe(error: DriverError) -> Failure {
    match error.api() {
        Some(api) if api.code == clerk_core::wire::ErrorCode::IdentifierAlreadySignedIn => {
            let advice = match api.meta.session_id.as_deref() {
                Some(session) => format!(
                    "already signed in on this client as session {session}: `clerk switch {session}` makes it the active one"
                ),
                None => String::from("already signed in on this client: `clerk sessions` lists the sessions"),
            };
            Failure::api(api).with_advice(advice)
        }
        Some(api) => Failure::api(api),
        None => {
            let message = match token_file::hint(&error) {
                Some(hint) => format!("{error}\n{hint}"),
                None => error.to_string(),
            };
            Failure::new(Kind::of(&error), message)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    #[test]
    fn json_is_asked_for_anywhere_before_a_double_dash() {
        let asked = |args: &[&str]| super::json_asked_for(args.iter().map(OsString::from));
        assert!(asked(&["clerk", "sessions", "--bogus", "--json"]));
        assert!(asked(&["clerk", "--json", "sign-in", "--identifier"]));
        assert!(!asked(&["clerk", "sessions", "--bogus"]));
        assert!(!asked(&["clerk", "replay", "--", "--json"]));
        assert!(!asked(&["--json"]), "the program's own name is not an argument");
    }

    #[test]
    fn a_key_for_a_name_that_only_looks_local_is_spoken_to_over_https() {
        // pk_test_ + base64("127.attacker.example$")
        let config = super::config_for_key("pk_test_MTI3LmF0dGFja2VyLmV4YW1wbGUk").unwrap_or_else(|e| panic!("{e}"));
        assert!(config.base_url().starts_with("https://"), "{}", config.base_url());
    }
}
