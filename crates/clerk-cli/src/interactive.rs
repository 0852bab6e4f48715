//! Interactive (and scriptable) sign-in and sign-up.

use std::io::{BufRead, IsTerminal};

use clap::Args;
use clerk_core::secret::{Password, VerificationCode};
use clerk_core::wire::{SessionResource, SignInStatus, SignUpStatus};
use clerk_core::{
    Client, Completion, EmailLinkOutcome, FirstFactorAttempt, FirstFactorPreparation, SecondFactorAttempt,
    SecondFactorPreparation, SignInCommand, SignInCreate, SignUpAttempt, SignUpCommand, SignUpFields,
    SignUpPreparation,
};
use clerk_ureq::Clerk;

use crate::describe;
use crate::failure::{Failure, Kind};
use crate::output::Output;
use crate::terminal::{Ask, Terminal, choose};

/// Where an email link sends the browser (any page will do: the CLI polls).
const EMAIL_LINK_REDIRECT: &str = "http://localhost/clerk-cli/verified";

/// How long a sign-in waits for its email link to be opened. A person has to notice the
/// email, open it and click, which often takes longer than the driver's one-minute operation
/// timeout. This is a little longer than a link lives (Clerk's links and codes expire after
/// 10 minutes), so the wait normally ends with the engine's own answer: the link was opened,
/// or the server reports it expired. The limit only stops a wait the server never settles.
const EMAIL_LINK_WAIT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Options of `clerk sign-in`.
#[derive(Debug, Args)]
pub(crate) struct SignInArgs {
    /// Email address, phone number or username.
    #[arg(long)]
    identifier: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// A verification code; repeat for a second factor (first code first). A code given
    /// here shows in the process list: use --code-stdin for a backup code.
    #[arg(long, conflicts_with = "code_stdin")]
    code: Vec<String>,
    /// Read verification codes from standard input, one a line as each is needed (after
    /// the password's line with --password-stdin), so that none shows in the process list.
    #[arg(long)]
    code_stdin: bool,
    /// The first factor to use: password, email_code, phone_code or email_link. One the
    /// server did not offer is an error. Default: asked at a terminal; else password with
    /// --password-stdin, otherwise the first other factor the server offers.
    #[arg(long, value_parser = FIRST_FACTORS)]
    strategy: Option<String>,
    /// The second factor to use when one is needed (default: asked at a terminal, else the
    /// first the server offers). One the server did not offer is an error.
    #[arg(long, value_name = "STRATEGY", value_parser = SECOND_FACTORS)]
    second_factor: Option<String>,
}

/// The first factors `--strategy` names (and the sign-in knows how to answer).
const FIRST_FACTORS: [&str; 4] = ["password", "email_code", "phone_code", "email_link"];

/// The second factors `--second-factor` names (and the sign-in knows how to answer).
const SECOND_FACTORS: [&str; 4] = ["totp", "backup_code", "phone_code", "email_code"];

/// Options of `clerk sign-up`.
#[derive(Debug, Args)]
pub(crate) struct SignUpArgs {
    /// Email address.
    #[arg(long)]
    email: Option<String>,
    /// Phone number (E.164).
    #[arg(long)]
    phone: Option<String>,
    /// Username.
    #[arg(long)]
    username: Option<String>,
    /// First name.
    #[arg(long)]
    first_name: Option<String>,
    /// Last name.
    #[arg(long)]
    last_name: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Verification codes, in the order they are asked for (email first, then phone).
    #[arg(long, conflicts_with = "code_stdin")]
    code: Vec<String>,
    /// Read verification codes from standard input, one a line as each is needed (after
    /// the password's line with --password-stdin).
    #[arg(long)]
    code_stdin: bool,
    /// Accept the terms and privacy policy.
    #[arg(long)]
    legal_accepted: bool,
}

/// Whether what the person types for a code is shown on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Echo {
    /// Shown: a one-time code (sent by email or SMS, or from an authenticator app), useless
    /// once used or after a few minutes.
    Shown,
    /// Not shown, like a password: a long-lived secret such as a backup code, which must
    /// not stay on the screen or in a terminal's scrollback.
    Hidden,
}

/// What a flow is answered with: flags first, then the person at the terminal.
struct Answers<'a> {
    /// `--code` values, in the order they are asked for.
    codes: std::vec::IntoIter<String>,
    /// The password read from standard input (`--password-stdin`), until it is used.
    stdin_password: Option<Password>,
    /// Codes come from standard input, a line each (`--code-stdin`).
    stdin_codes: bool,
    /// Who is asked for the rest.
    ask: &'a mut dyn Ask,
}

impl<'a> Answers<'a> {
    /// Answers from `--code` values (or, with `--code-stdin`, lines of standard input read
    /// as codes are needed) and, with `--password-stdin`, the password on standard input's
    /// first line (read now, so that a missing one fails before anything is sent).
    fn new(codes: Vec<String>, stdin: StdinInputs, ask: &'a mut dyn Ask) -> Result<Self, Failure> {
        let stdin_password = if stdin.password { Some(password_from_stdin()?) } else { None };
        Ok(Answers { codes: codes.into_iter(), stdin_password, stdin_codes: stdin.codes, ask })
    }

    /// Whether a password can be had (from standard input or by asking).
    fn has_password(&self) -> bool {
        self.stdin_password.is_some() || self.ask.can_ask()
    }

    /// The next `--code`, else the code asked for as `what`, shown or not as it is typed.
    fn code(&mut self, what: &str, echo: Echo) -> Result<VerificationCode, Failure> {
        if let Some(code) = self.codes.next() {
            return Ok(VerificationCode::new(code));
        }
        if self.stdin_codes {
            return code_from_stdin(what);
        }
        if !self.ask.can_ask() {
            return Err(Failure::new(Kind::Input, format!("{what} needed: pass it with --code or --code-stdin")));
        }
        let question = format!("{what}: ");
        let code = match echo {
            Echo::Shown => self.ask.line(&question)?,
            Echo::Hidden => self.ask.secret(&question)?,
        };
        let code = code.trim();
        if code.is_empty() {
            return Err(Failure::new(Kind::Input, format!("nothing entered for the {}", what.to_lowercase())));
        }
        Ok(VerificationCode::new(code))
    }

    fn password(&mut self, what: &str) -> Result<Password, Failure> {
        if let Some(password) = self.stdin_password.take() {
            return Ok(password);
        }
        let password = self.ask.secret(&format!("{what}: "))?;
        if password.is_empty() {
            return Err(Failure::new(Kind::Input, "no password entered"));
        }
        Ok(Password::new(password))
    }
}

/// The first line of standard input as a password (`--password-stdin`). An empty one is an
/// error here rather than an empty password sent to the server.
/// What standard input carries: `--password-stdin`'s password (its first line) and
/// `--code-stdin`'s codes (the lines after it, one a code).
#[derive(Debug, Clone, Copy)]
struct StdinInputs {
    password: bool,
    codes: bool,
}

/// The next line of standard input (`--password-stdin`, `--code-stdin`). When standard
/// input is a terminal, the person is typing it: asked for with a prompt on the terminal and
/// read without echo, so that a password or backup code never stays on the screen.
fn stdin_line(what: &str) -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        return crate::terminal::prompt_hidden(&format!("{what} (not shown): "))
            .map(|line| line + "\n")
            .map_err(|e| Failure::new(Kind::Input, format!("reading the {what}: {e}")));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::new(Kind::Input, format!("reading the {what}: {e}")))?;
    Ok(line)
}

/// The next line of standard input, as the code asked for as `what`.
fn code_from_stdin(what: &str) -> Result<VerificationCode, Failure> {
    let line = stdin_line(what)?;
    let code = line.trim();
    if code.is_empty() {
        // A line that was there but blank is not the end of the input.
        let found =
            if line.is_empty() { "standard input has no more lines" } else { "its line on standard input is empty" };
        return Err(Failure::new(Kind::Input, format!("{what} needed: {found} (--code-stdin reads one line a code)")));
    }
    Ok(VerificationCode::new(code))
}

fn password_from_stdin() -> Result<Password, Failure> {
    let line = stdin_line("password")?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(Failure::new(Kind::Input, "no password on standard input (--password-stdin reads its first line)"));
    }
    Ok(Password::new(password))
}

/// The sessions a client had before a sign-in or sign-up started. The flow succeeded only if
/// the session active at its end is not one of them: another account that was already signed
/// in does not make an unfinished or declined flow a success.
struct SessionsBefore(Vec<String>);

impl SessionsBefore {
    /// The client's sessions now.
    fn of(engine: &Client) -> Self {
        SessionsBefore(engine.sessions().iter().map(|session| session.id.to_string()).collect())
    }

    /// The active session, if it was started after [`of`](Self::of).
    fn started_since<'e>(&self, engine: &'e Client) -> Option<&'e SessionResource> {
        engine.active_session().filter(|session| !self.0.iter().any(|id| *id == *session.id))
    }
}

/// Ends a flow: shows the new session, or fails when the flow did not start one.
fn finish(clerk: &Clerk, out: Output, before: &SessionsBefore, flow: &str) -> Result<(), Failure> {
    if before.started_since(clerk.engine()).is_none() {
        return Err(Failure::new(Kind::Incomplete, format!("the {flow} did not complete")));
    }
    out.whoami(clerk.engine());
    Ok(())
}

/// Runs `work` with a spinner on the terminal (see [`crate::terminal::with_spinner`]);
/// nothing is drawn in JSON mode.
fn with_spinner<T>(out: Output, label: &str, work: impl FnOnce() -> T) -> T {
    if out.is_json() { work() } else { crate::terminal::with_spinner(label, work) }
}

/// `clerk sign-in`: asks the terminal for whatever the flags did not give.
pub(crate) fn sign_in(clerk: &mut Clerk, out: Output, args: SignInArgs) -> Result<(), Failure> {
    sign_in_asking(clerk, out, args, &mut Terminal)
}

/// `clerk sign-up`: asks the terminal for whatever the flags did not give.
pub(crate) fn sign_up(clerk: &mut Clerk, out: Output, args: SignUpArgs) -> Result<(), Failure> {
    sign_up_asking(clerk, out, args, &mut Terminal)
}

/// A sign-in, asking `ask` for what the flags did not give. Succeeds only when it made a new
/// session the active one.
fn sign_in_asking(clerk: &mut Clerk, out: Output, args: SignInArgs, ask: &mut dyn Ask) -> Result<(), Failure> {
    let stdin = StdinInputs { password: args.password_stdin, codes: args.code_stdin };
    let mut answers = Answers::new(args.code, stdin, ask)?;
    let before = SessionsBefore::of(clerk.engine());
    let identifier = match args.identifier {
        Some(identifier) => identifier,
        None => ask_for(answers.ask, "Email, phone or username", "--identifier")?,
    };
    clerk.sign_in(SignInCreate::identifier(identifier)).map_err(describe)?;
    // A password on standard input means the password factor, unless --strategy says else.
    let first_flag = if args.strategy.is_none() && args.password_stdin { "--password-stdin" } else { "--strategy" };
    let mut first_strategy = args.strategy;
    if first_strategy.is_none() && args.password_stdin {
        first_strategy = Some(String::from("password"));
    }
    let mut second_strategy = args.second_factor;
    for _ in 0..8 {
        let Some(sign_in) = clerk.engine().sign_in().cloned() else {
            break;
        };
        match sign_in.status {
            Some(SignInStatus::NeedsFirstFactor) => {
                let offered: Vec<String> = sign_in
                    .supported_first_factors
                    .iter()
                    .map(|f| f.strategy.to_string())
                    .filter(|s| FIRST_FACTORS.contains(&s.as_str()))
                    .collect();
                let strategy = match first_strategy.take() {
                    Some(wanted) => offered_or_error(first_flag, wanted, &offered)?,
                    None => {
                        let options = answerable(&offered, &answers);
                        choose(answers.ask, "How do you want to sign in?", &options)?
                    }
                };
                first_factor(clerk, out, &mut answers, &strategy)?;
            }
            Some(SignInStatus::NeedsSecondFactor | SignInStatus::NeedsClientTrust) => {
                let offered: Vec<String> =
                    sign_in.supported_second_factors.iter().map(|f| f.strategy.to_string()).collect();
                let strategy = match second_strategy.take() {
                    Some(wanted) => offered_or_error("--second-factor", wanted, &offered)?,
                    None => choose(answers.ask, "Second factor:", &offered)?,
                };
                second_factor(clerk, &mut answers, &strategy)?;
            }
            Some(SignInStatus::NeedsNewPassword) => {
                let password = answers.password("New password")?;
                clerk
                    .sign_in_step(SignInCommand::ResetPassword { password, sign_out_of_other_sessions: true })
                    .map_err(describe)?;
            }
            Some(SignInStatus::Complete) => break,
            other => {
                let status = other.as_ref().map_or("none", |status| status.as_str());
                return Err(Failure::new(Kind::Incomplete, format!("cannot continue a sign-in in status {status}")));
            }
        }
    }
    finish(clerk, out, &before, "sign-in")
}

fn first_factor(clerk: &mut Clerk, out: Output, answers: &mut Answers<'_>, strategy: &str) -> Result<(), Failure> {
    match strategy {
        "password" => {
            let password = answers.password("Password")?;
            clerk
                .sign_in_step(SignInCommand::AttemptFirstFactor(FirstFactorAttempt::Password(password)))
                .map_err(describe)?;
        }
        "email_code" | "phone_code" => {
            let email = strategy == "email_code";
            let preparation = if email {
                FirstFactorPreparation::EmailCode { email_address_id: None }
            } else {
                FirstFactorPreparation::PhoneCode { phone_number_id: None }
            };
            clerk.sign_in_step(SignInCommand::PrepareFirstFactor(preparation)).map_err(describe)?;
            let code = answers.code(if email { "Code sent by email" } else { "Code sent by SMS" }, Echo::Shown)?;
            let attempt = if email { FirstFactorAttempt::EmailCode(code) } else { FirstFactorAttempt::PhoneCode(code) };
            clerk.sign_in_step(SignInCommand::AttemptFirstFactor(attempt)).map_err(describe)?;
        }
        "email_link" => {
            let preparation =
                FirstFactorPreparation::EmailLink { email_address_id: None, redirect_url: EMAIL_LINK_REDIRECT.into() };
            answers.ask.tell("A sign-in link was sent by email: open it to continue.");
            let outcome = with_spinner(out, "waiting for the email link…", || {
                clerk.run_within(SignInCommand::PrepareFirstFactor(preparation), EMAIL_LINK_WAIT)
            })
            .map_err(describe)?;
            match outcome {
                Completion::EmailLink(EmailLinkOutcome::Verified { on_this_client: false }) => {
                    return Err(Failure::new(
                        Kind::Incomplete,
                        "the link was opened on another device; sign-in continues there",
                    ));
                }
                Completion::EmailLink(EmailLinkOutcome::Completed { .. } | EmailLinkOutcome::Verified { .. }) => {}
                Completion::EmailLink(other) => {
                    return Err(Failure::new(Kind::Incomplete, format!("the email link ended: {other:?}")));
                }
                _ => {}
            }
        }
        other => return Err(Failure::from(format!("unsupported first factor {other}"))),
    }
    Ok(())
}

/// The first factors offered that can be answered: without a terminal and without
/// `--password-stdin` there is no password to give, so a script that passes only `--code`
/// gets the first code factor rather than a demand for a password. When none is left, all
/// are kept, so that the error names what is missing.
fn answerable(offered: &[String], answers: &Answers<'_>) -> Vec<String> {
    let usable: Vec<String> =
        offered.iter().filter(|strategy| *strategy != "password" || answers.has_password()).cloned().collect();
    if usable.is_empty() { offered.to_vec() } else { usable }
}

/// The factor `flag` (`--strategy`, `--second-factor`) asked for, when the server offered it.
///
/// # Errors
/// The server did not offer it; the message lists what it offered.
fn offered_or_error(flag: &str, wanted: String, offered: &[String]) -> Result<String, Failure> {
    if offered.contains(&wanted) {
        return Ok(wanted);
    }
    let offered = if offered.is_empty() { String::from("none") } else { offered.join(", ") };
    Err(Failure::new(
        Kind::Input,
        format!("{flag} {wanted}: the server did not offer it for this sign-in; it offered: {offered}"),
    ))
}

fn second_factor(clerk: &mut Clerk, answers: &mut Answers<'_>, strategy: &str) -> Result<(), Failure> {
    let attempt = match strategy {
        "totp" => SecondFactorAttempt::Totp(answers.code("Authenticator code", Echo::Shown)?),
        "backup_code" => SecondFactorAttempt::BackupCode(answers.code("Backup code", Echo::Hidden)?),
        "phone_code" => {
            clerk
                .sign_in_step(SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode {
                    phone_number_id: None,
                }))
                .map_err(describe)?;
            SecondFactorAttempt::PhoneCode(answers.code("Code sent by SMS", Echo::Shown)?)
        }
        "email_code" => {
            clerk
                .sign_in_step(SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailCode {
                    email_address_id: None,
                }))
                .map_err(describe)?;
            SecondFactorAttempt::EmailCode(answers.code("Code sent by email", Echo::Shown)?)
        }
        other => return Err(Failure::from(format!("unsupported second factor {other}"))),
    };
    clerk.sign_in_step(SignInCommand::AttemptSecondFactor(attempt)).map_err(describe)?;
    Ok(())
}

/// A sign-up, asking `ask` for what the flags did not give. Succeeds only when it made a new
/// session the active one; declining the terms stops it at once.
fn sign_up_asking(clerk: &mut Clerk, out: Output, args: SignUpArgs, ask: &mut dyn Ask) -> Result<(), Failure> {
    let stdin = StdinInputs { password: args.password_stdin, codes: args.code_stdin };
    let mut answers = Answers::new(args.code, stdin, ask)?;
    let before = SessionsBefore::of(clerk.engine());
    let email = match args.email {
        Some(email) => Some(email),
        None if args.phone.is_none() => Some(ask_for(answers.ask, "Email address", "--email")?),
        None => None,
    };
    let password = if answers.has_password() { Some(answers.password("Choose a password")?) } else { None };
    let fields = SignUpFields {
        email_address: email,
        phone_number: args.phone,
        username: args.username,
        first_name: args.first_name,
        last_name: args.last_name,
        password,
        legal_accepted: args.legal_accepted.then_some(true),
        ..SignUpFields::default()
    };
    clerk.sign_up(fields).map_err(describe)?;
    for _ in 0..8 {
        let Some(sign_up) = clerk.engine().sign_up().cloned() else {
            break;
        };
        if sign_up.status != Some(SignUpStatus::MissingRequirements) {
            break;
        }
        // Missing fields first: one the script cannot give (--legal-accepted left out)
        // stops the sign-up before a code is sent for nothing.
        if !sign_up.missing_fields.is_empty() {
            let mut update = SignUpFields::default();
            for field in &sign_up.missing_fields {
                match field.as_ref() {
                    "legal_accepted" => {
                        accept_terms(answers.ask)?;
                        update.legal_accepted = Some(true);
                    }
                    "password" => update.password = Some(answers.password("Choose a password")?),
                    "first_name" => update.first_name = Some(ask_for(answers.ask, "First name", "--first-name")?),
                    "last_name" => update.last_name = Some(ask_for(answers.ask, "Last name", "--last-name")?),
                    "username" => update.username = Some(ask_for(answers.ask, "Username", "--username")?),
                    "phone_number" => update.phone_number = Some(ask_for(answers.ask, "Phone number", "--phone")?),
                    "email_address" => update.email_address = Some(ask_for(answers.ask, "Email address", "--email")?),
                    other => {
                        return Err(Failure::new(
                            Kind::Incomplete,
                            format!("the sign-up needs {other}, which the terminal cannot provide"),
                        ));
                    }
                }
            }
            clerk.sign_up_step(SignUpCommand::Update(update)).map_err(describe)?;
            continue;
        }
        if let Some(field) = sign_up.unverified_fields.first() {
            let (preparation, what, email) = match field.as_ref() {
                "email_address" => (SignUpPreparation::EmailCode, "Code sent by email", true),
                "phone_number" => (SignUpPreparation::PhoneCode, "Code sent by SMS", false),
                other => {
                    return Err(Failure::new(Kind::Incomplete, format!("cannot verify {other} from the terminal")));
                }
            };
            clerk.sign_up_step(SignUpCommand::PrepareVerification(preparation)).map_err(describe)?;
            let code = answers.code(what, Echo::Shown)?;
            let attempt = if email { SignUpAttempt::EmailCode(code) } else { SignUpAttempt::PhoneCode(code) };
            clerk.sign_up_step(SignUpCommand::AttemptVerification(attempt)).map_err(describe)?;
            continue;
        }
        break;
    }
    finish(clerk, out, &before, "sign-up")
}

/// Asks for `what`; without anyone to ask, the error names the flag that gives it. An empty
/// answer is an error rather than an empty value sent to the server.
fn ask_for(ask: &mut dyn Ask, what: &str, flag: &str) -> Result<String, Failure> {
    if !ask.can_ask() {
        return Err(Failure::new(Kind::Input, format!("{what} needed: pass it with {flag}")));
    }
    let answer = ask.line(&format!("{what}: "))?;
    if answer.is_empty() {
        return Err(Failure::new(Kind::Input, format!("nothing entered for the {}", what.to_lowercase())));
    }
    Ok(answer)
}

/// Asks once whether the terms are accepted; anything but yes stops the sign-up.
fn accept_terms(ask: &mut dyn Ask) -> Result<(), Failure> {
    if !ask.can_ask() {
        return Err(Failure::new(
            Kind::Input,
            "the terms of service and privacy policy must be accepted: pass --legal-accepted",
        ));
    }
    let answer = ask.line("Accept the terms of service and privacy policy? [y/N] ")?;
    if answer.eq_ignore_ascii_case("y") || answer.eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(Failure::new(Kind::Input, "the terms of service and privacy policy were not accepted; the sign-up stopped"))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clerk_core::SignInCreate;
    use clerk_core::secret::Password;
    use clerk_mock::{MockServer, Totp, UserSpec};
    use clerk_store::MemoryStore;
    use clerk_ureq::Clerk;

    use super::{SessionsBefore, SignInArgs, SignUpArgs, sign_in_asking, sign_up_asking};
    use crate::failure::{Failure, Kind};
    use crate::output::Output;
    use crate::terminal::Scripted;

    const PASSWORD: &str = "a-long-password-1";

    /// A driver for `mock`, its environment and client loaded, signed in to nothing.
    fn driver(mock: &MockServer) -> Clerk {
        let mut clerk = Clerk::builder_for_base_url(&mock.base_url())
            .unwrap_or_else(|e| panic!("{e}"))
            .store(Arc::new(MemoryStore::new()))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        clerk.load().unwrap_or_else(|e| panic!("{e}"));
        clerk
    }

    /// A mock with one user, and a driver signed in as that user.
    fn signed_in_elsewhere() -> (MockServer, Clerk, String) {
        let mock = MockServer::start();
        mock.add_user(UserSpec::with_email("first@example.com").password(PASSWORD));
        let mut clerk = driver(&mock);
        clerk
            .sign_in(SignInCreate::password("first@example.com", Password::new(PASSWORD)))
            .unwrap_or_else(|e| panic!("{e}"));
        let first = clerk.engine().active_session_id().map(str::to_owned).unwrap_or_else(|| panic!("not signed in"));
        (mock, clerk, first)
    }

    fn sign_up_args(email: &str) -> SignUpArgs {
        SignUpArgs {
            email: Some(email.to_owned()),
            phone: None,
            username: None,
            first_name: None,
            last_name: None,
            password_stdin: false,
            code: vec![String::from("424242")],
            code_stdin: false,
            legal_accepted: false,
        }
    }

    /// A mock with a user who has a password, an authenticator app (code `135790`) and a
    /// backup code (`bk-2468-1357`), and a driver for it.
    fn mfa_user() -> (MockServer, Clerk) {
        let mock = MockServer::start();
        mock.add_user(
            UserSpec::with_email("mfa@example.com")
                .password(PASSWORD)
                .mfa_totp(Totp::FixedCode(String::from("135790")))
                .mfa_backup_codes(&["bk-2468-1357"]),
        );
        let clerk = driver(&mock);
        (mock, clerk)
    }

    /// `clerk sign-in --identifier mfa@example.com`, with `--second-factor` if given.
    fn sign_in_args(second_factor: Option<&str>) -> SignInArgs {
        SignInArgs {
            identifier: Some(String::from("mfa@example.com")),
            password_stdin: false,
            code: Vec::new(),
            code_stdin: false,
            strategy: None,
            second_factor: second_factor.map(str::to_owned),
        }
    }

    #[test]
    fn an_empty_answer_stops_the_flow_before_it_is_sent() {
        let (mock, mut clerk) = mfa_user();
        let mut args = sign_in_args(None);
        args.identifier = None;
        let result = sign_in_asking(&mut clerk, Output::new(true), args, &mut Scripted::new(&[""]));
        assert_eq!(result, Err(Failure::new(Kind::Input, "nothing entered for the email, phone or username")));
        assert!(mock.requests().iter().all(|r| !r.path.contains("sign_ins")), "a sign-in was sent");

        let mut ask = Scripted::new(&["password", PASSWORD, "totp", "  "]);
        let result = sign_in_asking(&mut clerk, Output::new(true), sign_in_args(None), &mut ask);
        assert_eq!(result, Err(Failure::new(Kind::Input, "nothing entered for the authenticator code")));
        assert!(mock.requests().iter().all(|r| !r.path.ends_with("/attempt_second_factor")), "an empty code was sent");
    }

    #[test]
    fn a_backup_code_is_asked_for_without_echo_like_the_password() {
        let (_mock, mut clerk) = mfa_user();
        let mut ask = Scripted::new(&["password", PASSWORD, "backup_code", "bk-2468-1357"]);
        let result = sign_in_asking(&mut clerk, Output::new(true), sign_in_args(None), &mut ask);
        assert_eq!(result, Ok(()), "asked: {:?}", ask.asked);
        assert_eq!(ask.hidden, ["Password: ", "Backup code: "]);
    }

    #[test]
    fn an_authenticator_code_is_asked_for_in_the_open() {
        let (_mock, mut clerk) = mfa_user();
        let mut ask = Scripted::new(&["Password", PASSWORD, "135790"]);
        let result = sign_in_asking(&mut clerk, Output::new(true), sign_in_args(Some("totp")), &mut ask);
        assert_eq!(result, Ok(()), "asked: {:?}", ask.asked);
        assert_eq!(ask.hidden, ["Password: "]);
        assert_eq!(ask.asked.last().map(String::as_str), Some("Authenticator code: "));
    }

    #[test]
    fn the_second_factor_flag_skips_the_menu() {
        let (_mock, mut clerk) = mfa_user();
        let mut ask = Scripted::new(&["1", PASSWORD, "bk-2468-1357"]);
        let result = sign_in_asking(&mut clerk, Output::new(true), sign_in_args(Some("backup_code")), &mut ask);
        assert_eq!(result, Ok(()), "asked: {:?}", ask.asked);
        assert!(!ask.asked.iter().any(|q| q.contains("Second factor")), "the menu was shown: {:?}", ask.asked);
    }

    #[test]
    fn declining_the_terms_stops_the_sign_up_at_once_even_with_another_session_active() {
        let (mock, mut clerk, first) = signed_in_elsewhere();
        let mut ask = Scripted::new(&[PASSWORD, "n", "n", "n"]);
        let result =
            sign_up_asking(&mut clerk, Output::new(true), sign_up_args("new+clerk_test@example.com"), &mut ask);
        let error = result.err().unwrap_or_else(|| panic!("a declined sign-up succeeded"));
        assert!(error.kind == Kind::Input && error.message.contains("not accepted"), "{error}");
        let terms_questions = ask.asked.iter().filter(|q| q.contains("terms")).count();
        assert_eq!(terms_questions, 1, "asked about the terms {terms_questions} times: {:?}", ask.asked);
        assert_eq!(clerk.engine().active_session_id(), Some(first.as_str()), "the earlier session is no longer active");
        // The terms come before the email code: declining them sends no code for nothing.
        let prepared = mock.requests().iter().filter(|r| r.path.ends_with("/prepare_verification")).count();
        assert_eq!(prepared, 0, "a verification code was sent before the terms were declined");
    }

    #[test]
    fn accepting_the_terms_finishes_the_sign_up_with_a_new_session() {
        let (_mock, mut clerk, first) = signed_in_elsewhere();
        let mut ask = Scripted::new(&[PASSWORD, "y"]);
        let result =
            sign_up_asking(&mut clerk, Output::new(true), sign_up_args("new+clerk_test@example.com"), &mut ask);
        assert_eq!(result, Ok(()));
        let active = clerk.engine().active_session_id();
        assert!(active.is_some() && active != Some(first.as_str()), "the new session is not the active one");
    }

    #[test]
    fn only_a_session_started_after_the_flow_began_counts_as_its_result() {
        let (mock, mut clerk, _first) = signed_in_elsewhere();
        let before = SessionsBefore::of(clerk.engine());
        assert!(before.started_since(clerk.engine()).is_none(), "the session that was already there counts");
        mock.add_user(UserSpec::with_email("second@example.com").password(PASSWORD));
        clerk
            .sign_in(SignInCreate::password("second@example.com", Password::new(PASSWORD)))
            .unwrap_or_else(|e| panic!("{e}"));
        let started = before.started_since(clerk.engine()).map(|session| session.id.to_string());
        assert_eq!(started.as_deref(), clerk.engine().active_session_id());
        assert!(started.is_some());
    }
}
