//! Questions to the person at the terminal.
//!
//! Questions, menus and instructions go to standard error, never to standard output: they
//! stay visible when the output is redirected to a file or a pipe, and they never mix with
//! what `--json` prints. Answers come from standard input, and only when it is a terminal;
//! a script gets an error that names the flag to pass instead.

use std::io::{BufRead, IsTerminal, Write};

use crate::failure::{Failure, Kind};

/// Someone who can be asked for what a sign-in or sign-up needs.
pub(crate) trait Ask {
    /// Whether questions can be asked at all (for the terminal: standard input is one).
    fn can_ask(&self) -> bool;

    /// Asks `question` (which ends with its own `": "`) and returns the answer, trimmed.
    ///
    /// # Errors
    /// Nobody to ask (not a terminal), or reading the answer failed.
    fn line(&mut self, question: &str) -> Result<String, Failure>;

    /// Asks for a secret (a password, a backup code), without echoing what is typed.
    ///
    /// # Errors
    /// As [`line`](Self::line).
    fn secret(&mut self, question: &str) -> Result<String, Failure>;

    /// Tells the person something they have to act on (open an email, …).
    fn tell(&mut self, text: &str);
}

/// Asks the person at this process's terminal: questions on standard error, answers from
/// standard input.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Terminal;

impl Ask for Terminal {
    fn can_ask(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn line(&mut self, question: &str) -> Result<String, Failure> {
        if !self.can_ask() {
            let what = question.trim_end_matches([':', ' ']);
            return Err(Failure::new(Kind::Input, format!("{what} needed: pass it as a flag")));
        }
        let mut prompts = std::io::stderr().lock();
        write!(prompts, "{question}")
            .and_then(|()| prompts.flush())
            .map_err(|e| Failure::new(Kind::Other, e.to_string()))?;
        let answer =
            read_answer(&mut std::io::stdin().lock(), question).map_err(|message| Failure::new(Kind::Input, message));
        if answer.is_err() {
            // The input ended on the question's line: end that line before the error.
            let _ = writeln!(prompts);
        }
        answer
    }

    fn secret(&mut self, question: &str) -> Result<String, Failure> {
        if !self.can_ask() {
            let what = question.trim_end_matches([':', ' ']);
            return Err(Failure::new(Kind::Input, format!("{what} needed: pass --password-stdin")));
        }
        // rpassword writes the question to the terminal itself (not to standard output)
        // and reads the answer with echo off.
        prompt_hidden(question).map_err(|error| {
            // The read stopped on the question's line: end that line before the error.
            eprintln!();
            Failure::new(Kind::Input, secret_read_error(question, &error))
        })
    }

    fn tell(&mut self, text: &str) {
        eprintln!("{text}");
    }
}

/// The error when the input ends (Ctrl-D at a terminal) before `question` is answered.
fn input_ended(question: &str) -> String {
    let asked = question.lines().next().unwrap_or_default().trim_end_matches([':', ' ']);
    format!("no answer to \"{asked}\": the input ended")
}

/// The answer to `question` read from `input`: its next line, trimmed. The input ending
/// first (Ctrl-D at a terminal) is an error, not an empty answer: the question is not
/// answered and the command stops.
fn read_answer(input: &mut dyn BufRead, question: &str) -> Result<String, String> {
    let mut line = String::new();
    let read = input.read_line(&mut line).map_err(|e| e.to_string())?;
    if read == 0 {
        return Err(input_ended(question));
    }
    Ok(line.trim().to_owned())
}

/// A failed read of a secret as the person reads it: the input ending (Ctrl-D) says so.
fn secret_read_error(question: &str, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::UnexpectedEof => input_ended(question),
        _ => error.to_string(),
    }
}

/// Asks `question` on the terminal and reads the answer with echo off (rpassword).
///
/// rpassword reads in raw mode and answers a Ctrl-C by raising SIGINT before it restores
/// the terminal, so the program used to end with the terminal still raw, echo off. While it
/// reads, SIGINT is caught instead (on Unix): rpassword then returns, restoring the
/// terminal, and the program ends here with the status of an interrupted program (130).
pub(crate) fn prompt_hidden(question: &str) -> std::io::Result<String> {
    let answer = interrupt::caught_while(|| rpassword::prompt_password(question));
    if let Err(error) = &answer
        && error.kind() == std::io::ErrorKind::Interrupted
    {
        eprintln!();
        crate::stdout::flush();
        std::process::exit(130);
    }
    answer
}

/// SIGINT, caught for the time of a hidden read (see [`prompt_hidden`]).
#[cfg(unix)]
mod interrupt {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};

    /// Whether a SIGINT has its default effect (ends the program). Installed with the
    /// handler at the first hidden read, so that a program that never asks for a secret
    /// keeps the SIGINT disposition it was started with.
    static DEFAULT_ACTION: OnceLock<Option<Arc<AtomicBool>>> = OnceLock::new();

    /// Runs `read` with SIGINT caught (it then does nothing but let `read` return).
    pub(super) fn caught_while<T>(read: impl FnOnce() -> T) -> T {
        let flag = DEFAULT_ACTION.get_or_init(|| {
            let flag = Arc::new(AtomicBool::new(true));
            let registered = signal_hook::flag::register_conditional_default(signal_hook::consts::SIGINT, flag.clone());
            registered.ok().map(|_| flag)
        });
        let Some(flag) = flag else {
            return read();
        };
        flag.store(false, Ordering::SeqCst);
        let result = read();
        flag.store(true, Ordering::SeqCst);
        result
    }
}

/// Elsewhere a Ctrl-C at a hidden prompt is the platform's business.
#[cfg(not(unix))]
mod interrupt {
    pub(super) fn caught_while<T>(read: impl FnOnce() -> T) -> T {
        read()
    }
}

/// Lets the person pick one of `options`, with a numbered menu asked like any question:
/// the answer is an option's number or its name (`password`, `Password`, …; case does not
/// matter). Without anyone to ask, or with a single option, the first option is taken.
///
/// # Errors
/// No options at all, an answer that is neither a number nor a name in the menu, or a
/// failed read.
pub(crate) fn choose(ask: &mut dyn Ask, question: &str, options: &[String]) -> Result<String, Failure> {
    if options.len() <= 1 || !ask.can_ask() {
        return options
            .first()
            .cloned()
            .ok_or_else(|| Failure::new(Kind::Incomplete, "the server offered nothing to choose"));
    }
    let mut menu = format!("{question}\n");
    for (index, option) in options.iter().enumerate() {
        match strategy_label(option) {
            Some(label) => menu.push_str(&format!("  {}) {option}: {label}\n", index + 1)),
            None => menu.push_str(&format!("  {}) {option}\n", index + 1)),
        }
    }
    menu.push_str("Choose (number or name): ");
    let answer = ask.line(&menu)?;
    let picked = match answer.parse::<usize>() {
        Ok(number) => options.get(number.wrapping_sub(1)),
        Err(_) => options.iter().find(|option| option.eq_ignore_ascii_case(&answer)),
    };
    picked.cloned().ok_or_else(|| {
        let names: Vec<String> = options.iter().enumerate().map(|(index, o)| format!("{} {o}", index + 1)).collect();
        Failure::new(Kind::Input, format!("{answer:?} is not in the menu; answer one of: {}", names.join(", ")))
    })
}

/// What a factor the menu offers means, in words, for the strategies this program can use.
fn strategy_label(strategy: &str) -> Option<&'static str> {
    Some(match strategy {
        "password" => "your password",
        "email_code" => "a code sent to your email",
        "phone_code" => "a code sent by SMS",
        "email_link" => "a link sent to your email",
        "totp" => "a code from your authenticator app",
        "backup_code" => "one of your backup codes",
        _ => return None,
    })
}

/// Scripted answers, for tests: each question takes the next answer and is remembered.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Scripted {
    /// The answers still to give, in order.
    pub(crate) answers: std::collections::VecDeque<String>,
    /// Every question asked and every instruction given, in order.
    pub(crate) asked: Vec<String>,
    /// The questions asked without echoing the answer ([`Ask::secret`]), in order.
    pub(crate) hidden: Vec<String>,
}

#[cfg(test)]
impl Scripted {
    /// Answers in the order they will be given.
    pub(crate) fn new(answers: &[&str]) -> Self {
        Scripted { answers: answers.iter().map(|a| (*a).to_owned()).collect(), asked: Vec::new(), hidden: Vec::new() }
    }

    fn next(&mut self, question: &str) -> Result<String, Failure> {
        self.asked.push(question.to_owned());
        self.answers
            .pop_front()
            .ok_or_else(|| Failure::new(Kind::Input, format!("no scripted answer for {question:?}")))
    }
}

#[cfg(test)]
impl Ask for Scripted {
    fn can_ask(&self) -> bool {
        true
    }

    fn line(&mut self, question: &str) -> Result<String, Failure> {
        self.next(question)
    }

    fn secret(&mut self, question: &str) -> Result<String, Failure> {
        self.hidden.push(question.to_owned());
        self.next(question)
    }

    fn tell(&mut self, text: &str) {
        self.asked.push(text.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::{Scripted, choose, read_answer};

    #[test]
    fn the_input_ending_before_an_answer_is_an_error_not_an_empty_answer() {
        let error = read_answer(&mut &b""[..], "Email, phone or username: ").err().unwrap_or_default();
        assert_eq!(error, "no answer to \"Email, phone or username\": the input ended");
        let error = read_answer(&mut &b""[..], "Second factor:\n  1) totp\nChoose (number or name): ");
        assert_eq!(error.err().unwrap_or_default(), "no answer to \"Second factor\": the input ended");
        assert_eq!(read_answer(&mut &b"\n"[..], "Username: "), Ok(String::new()));
        assert_eq!(read_answer(&mut &b"  ada \n"[..], "Username: "), Ok(String::from("ada")));
    }

    #[test]
    fn a_menu_is_asked_as_one_question_and_the_number_picks_the_option() {
        let options = vec![String::from("password"), String::from("email_code")];
        let mut ask = Scripted::new(&["2"]);
        let picked = choose(&mut ask, "How do you want to sign in?", &options);
        assert_eq!(picked.as_deref(), Ok("email_code"));
        assert_eq!(
            ask.asked,
            [
                "How do you want to sign in?\n  1) password: your password\n  2) email_code: a code sent to your email\nChoose (number or name): "
            ]
        );
        // A strategy without words of its own is shown by its name.
        let mut ask = Scripted::new(&["1"]);
        let _ = choose(&mut ask, "?", &[String::from("passkey"), String::from("totp")]);
        assert_eq!(
            ask.asked,
            ["?\n  1) passkey\n  2) totp: a code from your authenticator app\nChoose (number or name): "]
        );
    }

    #[test]
    fn an_option_can_be_chosen_by_its_name_in_any_case() {
        let options = vec![String::from("password"), String::from("email_code")];
        for answer in ["password", "Password", "PASSWORD"] {
            assert_eq!(choose(&mut Scripted::new(&[answer]), "?", &options).as_deref(), Ok("password"), "{answer}");
        }
        assert_eq!(choose(&mut Scripted::new(&["Email_Code"]), "?", &options).as_deref(), Ok("email_code"));
    }

    #[test]
    fn an_answer_outside_the_menu_is_an_error() {
        let options = vec![String::from("password"), String::from("email_code")];
        assert!(choose(&mut Scripted::new(&["3"]), "?", &options).is_err());
        assert!(choose(&mut Scripted::new(&["0"]), "?", &options).is_err());
        assert!(choose(&mut Scripted::new(&["two"]), "?", &options).is_err());
        assert!(choose(&mut Scripted::new(&["pass"]), "?", &options).is_err());
        let error = choose(&mut Scripted::new(&["phone_code"]), "?", &options).err();
        let error = error.unwrap_or_else(|| panic!("an answer outside the menu was taken"));
        assert_eq!(error.kind, crate::failure::Kind::Input);
        assert!(error.message.contains("1 password, 2 email_code"), "{error}");
    }
}
