//! Interactive (and scriptable) sign-in and sign-up.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use clerk_core::secret::{Password, VerificationCode};
use clerk_core::wire::{SignInStatus, SignUpStatus};
use clerk_core::{
    Completion, EmailLinkOutcome, FirstFactorAttempt, FirstFactorPreparation, SecondFactorAttempt,
    SecondFactorPreparation, SignInCommand, SignInCreate, SignUpAttempt, SignUpCommand, SignUpFields,
    SignUpPreparation,
};
use clerk_ureq::Clerk;

use crate::describe;
use crate::output::Output;

/// Where an email link sends the browser (any page will do: the CLI polls).
const EMAIL_LINK_REDIRECT: &str = "http://localhost/clerk-cli/verified";

/// Options of `clerk sign-in`.
#[derive(Debug, Args)]
pub(crate) struct SignInArgs {
    /// Email address, phone number or username.
    #[arg(long)]
    identifier: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// A verification code; repeat for a second factor (first code first).
    #[arg(long)]
    code: Vec<String>,
    /// The first factor to use: password, email_code, phone_code or email_link.
    #[arg(long)]
    strategy: Option<String>,
}

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
    #[arg(long)]
    code: Vec<String>,
    /// Accept the terms and privacy policy.
    #[arg(long)]
    legal_accepted: bool,
}

/// Answers: from flags first, then from the terminal.
struct Answers {
    codes: std::vec::IntoIter<String>,
    password_stdin: bool,
}

impl Answers {
    fn code(&mut self, what: &str) -> Result<VerificationCode, String> {
        if let Some(code) = self.codes.next() {
            return Ok(VerificationCode::new(code));
        }
        prompt(&format!("{what}: ")).map(VerificationCode::new)
    }

    fn password(&mut self, what: &str) -> Result<Password, String> {
        if self.password_stdin {
            self.password_stdin = false;
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
            return Ok(Password::new(line.trim_end_matches(['\r', '\n'])));
        }
        if !std::io::stdin().is_terminal() {
            return Err(format!("{what} needed: pass --password-stdin"));
        }
        rpassword::prompt_password(format!("{what}: ")).map(Password::new).map_err(|e| e.to_string())
    }
}

fn prompt(question: &str) -> Result<String, String> {
    if !std::io::stdin().is_terminal() {
        return Err(format!("{} needed: pass it as a flag", question.trim_end_matches([':', ' '])));
    }
    print!("{question}");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(line.trim().to_owned())
}

fn choose(question: &str, options: &[String]) -> Result<String, String> {
    if options.len() <= 1 || !std::io::stdin().is_terminal() {
        return options.first().cloned().ok_or_else(|| String::from("the server offered nothing to choose"));
    }
    println!("{question}");
    for (index, option) in options.iter().enumerate() {
        println!("  {}) {option}", index + 1);
    }
    let answer = prompt("Choose: ")?;
    let index: usize = answer.parse().map_err(|_| format!("not a number: {answer}"))?;
    options.get(index.wrapping_sub(1)).cloned().ok_or_else(|| format!("no option {index}"))
}

/// Runs `f` with a spinner on the terminal (nothing when not a terminal or in JSON mode).
fn with_spinner<T>(out: Output, text: &str, f: impl FnOnce() -> T) -> T {
    if out.is_json() || !std::io::stderr().is_terminal() {
        return f();
    }
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let label = text.to_owned();
    let spinner = std::thread::spawn(move || {
        let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let mut index = 0;
        while !flag.load(Ordering::Relaxed) {
            eprint!("\r{} {label}", frames[index % frames.len()]);
            index += 1;
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprint!("\r{}\r", " ".repeat(label.len() + 2));
    });
    let result = f();
    done.store(true, Ordering::Relaxed);
    let _ = spinner.join();
    result
}

pub(crate) fn sign_in(clerk: &mut Clerk, out: Output, args: SignInArgs) -> Result<(), String> {
    let mut answers = Answers { codes: args.code.into_iter(), password_stdin: args.password_stdin };
    let identifier = match args.identifier {
        Some(identifier) => identifier,
        None => prompt("Email, phone or username: ")?,
    };
    clerk.sign_in(SignInCreate::identifier(identifier)).map_err(describe)?;
    let mut first_strategy = args.strategy;
    if first_strategy.is_none() && args.password_stdin {
        first_strategy = Some(String::from("password"));
    }
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
                    .filter(|s| matches!(s.as_str(), "password" | "email_code" | "phone_code" | "email_link"))
                    .collect();
                let strategy = match first_strategy.take() {
                    Some(strategy) => strategy,
                    None => choose("How do you want to sign in?", &offered)?,
                };
                first_factor(clerk, out, &mut answers, &strategy)?;
            }
            Some(SignInStatus::NeedsSecondFactor | SignInStatus::NeedsClientTrust) => {
                let offered: Vec<String> =
                    sign_in.supported_second_factors.iter().map(|f| f.strategy.to_string()).collect();
                let strategy = choose("Second factor:", &offered)?;
                second_factor(clerk, &mut answers, &strategy)?;
            }
            Some(SignInStatus::NeedsNewPassword) => {
                let password = answers.password("New password")?;
                clerk
                    .sign_in_step(SignInCommand::ResetPassword { password, sign_out_of_other_sessions: true })
                    .map_err(describe)?;
            }
            Some(SignInStatus::Complete) => break,
            other => return Err(format!("cannot continue a sign-in in status {other:?}")),
        }
    }
    out.whoami(clerk.engine());
    if clerk.engine().active_session().is_none() {
        return Err(String::from("the sign-in did not complete"));
    }
    Ok(())
}

fn first_factor(clerk: &mut Clerk, out: Output, answers: &mut Answers, strategy: &str) -> Result<(), String> {
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
            let code = answers.code(if email { "Code sent by email" } else { "Code sent by SMS" })?;
            let attempt = if email { FirstFactorAttempt::EmailCode(code) } else { FirstFactorAttempt::PhoneCode(code) };
            clerk.sign_in_step(SignInCommand::AttemptFirstFactor(attempt)).map_err(describe)?;
        }
        "email_link" => {
            let preparation =
                FirstFactorPreparation::EmailLink { email_address_id: None, redirect_url: EMAIL_LINK_REDIRECT.into() };
            out.note("A sign-in link was sent by email: open it to continue.");
            let outcome = with_spinner(out, "waiting for the email link…", || {
                clerk.sign_in_step(SignInCommand::PrepareFirstFactor(preparation))
            })
            .map_err(describe)?;
            match outcome {
                Completion::EmailLink(EmailLinkOutcome::Verified { on_this_client: false }) => {
                    return Err(String::from("the link was opened on another device; sign-in continues there"));
                }
                Completion::EmailLink(EmailLinkOutcome::Completed { .. } | EmailLinkOutcome::Verified { .. }) => {}
                Completion::EmailLink(other) => return Err(format!("the email link ended: {other:?}")),
                _ => {}
            }
        }
        other => return Err(format!("unsupported first factor {other}")),
    }
    Ok(())
}

fn second_factor(clerk: &mut Clerk, answers: &mut Answers, strategy: &str) -> Result<(), String> {
    let attempt = match strategy {
        "totp" => SecondFactorAttempt::Totp(answers.code("Authenticator code")?),
        "backup_code" => SecondFactorAttempt::BackupCode(answers.code("Backup code")?),
        "phone_code" => {
            clerk
                .sign_in_step(SignInCommand::PrepareSecondFactor(SecondFactorPreparation::PhoneCode {
                    phone_number_id: None,
                }))
                .map_err(describe)?;
            SecondFactorAttempt::PhoneCode(answers.code("Code sent by SMS")?)
        }
        "email_code" => {
            clerk
                .sign_in_step(SignInCommand::PrepareSecondFactor(SecondFactorPreparation::EmailCode {
                    email_address_id: None,
                }))
                .map_err(describe)?;
            SecondFactorAttempt::EmailCode(answers.code("Code sent by email")?)
        }
        other => return Err(format!("unsupported second factor {other}")),
    };
    clerk.sign_in_step(SignInCommand::AttemptSecondFactor(attempt)).map_err(describe)?;
    Ok(())
}

pub(crate) fn sign_up(clerk: &mut Clerk, out: Output, args: SignUpArgs) -> Result<(), String> {
    let mut answers = Answers { codes: args.code.into_iter(), password_stdin: args.password_stdin };
    let email = match args.email {
        Some(email) => Some(email),
        None if args.phone.is_none() => Some(prompt("Email address: ")?),
        None => None,
    };
    let password = if args.password_stdin || std::io::stdin().is_terminal() {
        Some(answers.password("Choose a password")?)
    } else {
        None
    };
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
        if let Some(field) = sign_up.unverified_fields.first() {
            let (preparation, what, email) = match field.as_ref() {
                "email_address" => (SignUpPreparation::EmailCode, "Code sent by email", true),
                "phone_number" => (SignUpPreparation::PhoneCode, "Code sent by SMS", false),
                other => return Err(format!("cannot verify {other} from the terminal")),
            };
            clerk.sign_up_step(SignUpCommand::PrepareVerification(preparation)).map_err(describe)?;
            let code = answers.code(what)?;
            let attempt = if email { SignUpAttempt::EmailCode(code) } else { SignUpAttempt::PhoneCode(code) };
            clerk.sign_up_step(SignUpCommand::AttemptVerification(attempt)).map_err(describe)?;
            continue;
        }
        let mut update = SignUpFields::default();
        for field in &sign_up.missing_fields {
            match field.as_ref() {
                "legal_accepted" => {
                    let answer = prompt("Accept the terms of service and privacy policy? [y/N] ")?;
                    update.legal_accepted = Some(answer.eq_ignore_ascii_case("y"));
                }
                "password" => update.password = Some(answers.password("Choose a password")?),
                "first_name" => update.first_name = Some(prompt("First name: ")?),
                "last_name" => update.last_name = Some(prompt("Last name: ")?),
                "username" => update.username = Some(prompt("Username: ")?),
                "phone_number" => update.phone_number = Some(prompt("Phone number: ")?),
                "email_address" => update.email_address = Some(prompt("Email address: ")?),
                other => return Err(format!("the sign-up needs {other}, which the terminal cannot provide")),
            }
        }
        clerk.sign_up_step(SignUpCommand::Update(update)).map_err(describe)?;
    }
    out.whoami(clerk.engine());
    if clerk.engine().active_session().is_none() {
        return Err(String::from("the sign-up did not complete"));
    }
    Ok(())
}
