//! Questions to the person at the terminal.
//!
//! Questions, menus and instructions go to standard error, never to standard output: they
//! stay visible when the output is redirected to a file or a pipe, and they never mix with
//! what `--json` prints. Answers come from standard input, and only when it is a terminal;
//! a script gets an error that names the flag to pass instead.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
    let answer = interrupt::caught_while(|_| rpassword::prompt_password(question));
    if let Err(error) = &answer
        && error.kind() == std::io::ErrorKind::Interrupted
    {
        eprintln!();
        exit_interrupted();
    }
    answer
}

/// Ends the program as interrupted, with the status a shell gives a program ended by
/// Ctrl-C (130), after writing what standard output still holds.
fn exit_interrupted() -> ! {
    crate::stdout::flush();
    std::process::exit(130)
}

/// The spinner's frames, one drawn every [`SPINNER_PAUSE`].
const SPINNER_FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// How long each frame of the spinner stays.
const SPINNER_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// Runs `work` with a spinner and `label` on standard error when it is a terminal (else
/// just runs it), and erases the spinner's line when `work` returns.
///
/// A Ctrl-C while it runs erases the line too, then ends the program as interrupted (130),
/// as at a hidden prompt: SIGINT is caught for the time of `work` (on Unix), and the
/// spinner's thread, seeing it, erases its line and ends the program, since `work` (a wait
/// for an email link) may not return for minutes. Without that, the default SIGINT ended
/// the program with the spinner's half-drawn line left before the shell's prompt. The
/// spinner changes nothing else on the terminal (no mode, no hidden cursor).
pub(crate) fn with_spinner<T>(label: &str, work: impl FnOnce() -> T) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    interrupt::caught_while(|interrupted| {
        let done = Arc::new(AtomicBool::new(false));
        let spinner = {
            let (done, label) = (Arc::clone(&done), label.to_owned());
            std::thread::spawn(move || {
                let end = spin(&mut std::io::stderr(), &label, &done, interrupted, || {
                    std::thread::sleep(SPINNER_PAUSE);
                });
                if end == SpinnerEnd::Interrupted {
                    // `work` goes on in the main thread: end the program from here. (The
                    // exit writes what standard output holds unless that thread is
                    // writing it, where waiting for it could wait forever.)
                    std::process::exit(130);
                }
            })
        };
        let result = work();
        done.store(true, Ordering::SeqCst);
        let _ = spinner.join();
        // A Ctrl-C as `work` returned, which the spinner saw too late: still honoured.
        if interrupted.load(Ordering::SeqCst) {
            exit_interrupted();
        }
        result
    })
}

/// Why the spinner stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SpinnerEnd {
    /// The work it showed is done.
    Done,
    /// A Ctrl-C (SIGINT) came.
    Interrupted,
}

/// Draws the spinner with `label` on `terminal`, a frame at a time with `pause` between
/// them, until `interrupted` or `done` is set; then erases its line and says which.
fn spin(
    terminal: &mut dyn Write,
    label: &str,
    done: &AtomicBool,
    interrupted: &AtomicBool,
    mut pause: impl FnMut(),
) -> SpinnerEnd {
    let mut frame = 0;
    let end = loop {
        if interrupted.load(Ordering::SeqCst) {
            break SpinnerEnd::Interrupted;
        }
        if done.load(Ordering::SeqCst) {
            break SpinnerEnd::Done;
        }
        let drawn = SPINNER_FRAMES[frame % SPINNER_FRAMES.len()];
        // A terminal that went away only loses the spinner.
        let _ = write!(terminal, "\r{drawn} {label}").and_then(|()| terminal.flush());
        frame += 1;
        pause();
    };
    let _ = terminal.write_all(erase_spinner_line(label).as_bytes()).and_then(|()| terminal.flush());
    end
}

/// What erases the spinner's line: blanks over its frame, the space, its label and the `^C`
/// a terminal echoes for a Ctrl-C after them, between returns to the line's start, which is
/// where the next text then starts.
fn erase_spinner_line(label: &str) -> String {
    let columns = 2 + label.chars().count() + "^C".len();
    format!("\r{}\r", " ".repeat(columns))
}

/// SIGINT, caught for the time of a hidden read or a spinner (see [`prompt_hidden`],
/// [`with_spinner`]).
#[cfg(unix)]
mod interrupt {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, OnceLock};

    /// SIGINT's handlers, installed at the first wait that catches it, so that a program
    /// that never does keeps the SIGINT disposition it was started with.
    struct Handlers {
        /// Whether a SIGINT has its default effect (ends the program).
        default_action: Arc<AtomicBool>,
        /// Set by a SIGINT.
        interrupted: Arc<AtomicBool>,
    }

    /// The handlers, `None` when they could not be installed.
    static HANDLERS: OnceLock<Option<Handlers>> = OnceLock::new();

    /// A SIGINT no handler reports.
    static NEVER_INTERRUPTED: AtomicBool = AtomicBool::new(false);

    /// Runs `work` with SIGINT caught: a SIGINT then only sets the flag `work` is given (and
    /// lets a read that it interrupts return). The SIGINT's default effect comes back when
    /// `work` returns.
    pub(super) fn caught_while<T>(work: impl FnOnce(&'static AtomicBool) -> T) -> T {
        let handlers = HANDLERS.get_or_init(|| {
            let default_action = Arc::new(AtomicBool::new(true));
            let interrupted = Arc::new(AtomicBool::new(false));
            let sigint = signal_hook::consts::SIGINT;
            let registered = signal_hook::flag::register_conditional_default(sigint, Arc::clone(&default_action))
                .and_then(|_| signal_hook::flag::register(sigint, Arc::clone(&interrupted)));
            registered.ok().map(|_| Handlers { default_action, interrupted })
        });
        let Some(handlers) = handlers else {
            return work(&NEVER_INTERRUPTED);
        };
        handlers.interrupted.store(false, Ordering::SeqCst);
        handlers.default_action.store(false, Ordering::SeqCst);
        let result = work(&handlers.interrupted);
        handlers.default_action.store(true, Ordering::SeqCst);
        result
    }
}

/// Elsewhere a Ctrl-C is the platform's business: it ends the program as it does by default.
#[cfg(not(unix))]
mod interrupt {
    use std::sync::atomic::AtomicBool;

    /// A SIGINT nothing reports.
    static NEVER_INTERRUPTED: AtomicBool = AtomicBool::new(false);

    /// Runs `work`, its interrupted flag never set.
    pub(super) fn caught_while<T>(work: impl FnOnce(&'static AtomicBool) -> T) -> T {
        work(&NEVER_INTERRUPTED)
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
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::{Scripted, SpinnerEnd, choose, erase_spinner_line, read_answer, spin};

    /// The line a terminal shows after `written` (returns go back to the line's start,
    /// anything else overwrites a column), as one string.
    fn terminal_line(written: &str) -> String {
        let mut line: Vec<char> = Vec::new();
        let mut column = 0;
        for c in written.chars() {
            if c == '\r' {
                column = 0;
                continue;
            }
            if column < line.len() {
                line[column] = c;
            } else {
                line.push(c);
            }
            column += 1;
        }
        line.into_iter().collect()
    }

    /// The spinner drawn for `frames` frames, then stopped by a Ctrl-C (which the terminal
    /// echoes as `^C`) or by the work being done: everything on its line, and how it ended.
    fn spun(frames: usize, ctrl_c: bool) -> (String, SpinnerEnd) {
        let (done, interrupted) = (AtomicBool::new(false), AtomicBool::new(false));
        let mut written = Vec::new();
        let mut pauses = 0;
        let end = {
            let terminal = std::cell::RefCell::new(&mut written);
            let mut writer = SharedWriter(&terminal);
            spin(&mut writer, "waiting for the email link…", &done, &interrupted, || {
                pauses += 1;
                if pauses == frames {
                    if ctrl_c {
                        // The terminal echoes the Ctrl-C where the cursor is, then SIGINT comes.
                        terminal.borrow_mut().extend_from_slice("^C".as_bytes());
                        interrupted.store(true, Ordering::SeqCst);
                    } else {
                        done.store(true, Ordering::SeqCst);
                    }
                }
            })
        };
        (String::from_utf8(written).unwrap_or_default(), end)
    }

    /// A writer into a buffer the pause can write to as well (the terminal's echo).
    struct SharedWriter<'a, 'b>(&'a std::cell::RefCell<&'b mut Vec<u8>>);

    impl std::io::Write for SharedWriter<'_, '_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_ctrl_c_while_the_spinner_runs_leaves_its_line_blank() {
        let (written, end) = spun(3, true);
        assert_eq!(end, SpinnerEnd::Interrupted);
        assert!(written.starts_with("\r⠋ waiting for the email link…\r⠙ "), "{written:?}");
        assert!(written.ends_with(&erase_spinner_line("waiting for the email link…")), "{written:?}");
        assert!(written.contains("link…^C"), "{written:?}");
        let line = terminal_line(&written);
        assert_eq!(line.trim(), "", "the spinner's line was left as {line:?}");
    }

    #[test]
    fn the_spinner_erases_its_line_when_the_work_is_done() {
        let (written, end) = spun(12, false);
        assert_eq!(end, SpinnerEnd::Done);
        assert_eq!(written.matches('\r').count(), 12 + 2, "{written:?}");
        assert_eq!(terminal_line(&written).trim(), "");
        // The erasing ends at the line's start, where what comes next is written.
        assert!(written.ends_with(" \r"), "{written:?}");
    }

    #[test]
    fn a_spinner_stopped_before_its_first_frame_draws_nothing_but_the_erasing() {
        let (done, interrupted) = (AtomicBool::new(true), AtomicBool::new(false));
        let mut written = Vec::new();
        assert_eq!(spin(&mut written, "x", &done, &interrupted, || {}), SpinnerEnd::Done);
        assert_eq!(written, erase_spinner_line("x").into_bytes());
        interrupted.store(true, Ordering::SeqCst);
        assert_eq!(spin(&mut Vec::new(), "x", &done, &interrupted, || {}), SpinnerEnd::Interrupted);
    }

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
