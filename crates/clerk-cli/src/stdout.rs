//! Standard output, written so that a reader that goes away never makes the program panic.
//!
//! `println!` panics when a write fails, and a write to a pipe whose reader has closed it
//! fails with `EPIPE` (Rust ignores `SIGPIPE`, so the process is not killed as a C program
//! would be): `clerk demo | head -3` used to end with "failed printing to stdout: Broken
//! pipe". Every line this program prints therefore goes through [`outln!`], and the crate
//! denies `clippy::print_stdout` so that no `println!` comes back.
//!
//! When a write fails:
//! - the reader has gone (`ErrorKind::BrokenPipe`): the program stops at once, quietly,
//!   with exit status **0**. Nobody is left to read what it would have printed, and a
//!   script under `set -o pipefail` that keeps only the first lines (`clerk sessions |
//!   head -1`) does not fail because of it. (A C program killed by `SIGPIPE` would report
//!   141; 0 was chosen over it for that reason.)
//! - any other failure (a full disk, `> /dev/full`): `clerk: cannot write to standard
//!   output: …` on standard error and exit status 1.
//!
//! The program stops where the write failed, even inside a driver's listener; what was
//! already done stays done (the token file is written atomically, a transcript line by
//! line).

use std::fmt;
use std::io::{self, ErrorKind, Write};

/// Prints a line on standard output (like `println!`), stopping the program as the
/// [module](self) describes when the line cannot be written.
macro_rules! outln {
    () => {
        $crate::stdout::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::stdout::line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

/// How the program ends after a failed write to standard output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stop {
    /// The exit status.
    pub(crate) code: i32,
    /// What to say on standard error, if anything.
    pub(crate) message: Option<String>,
}

/// How a failed write to standard output ends the program: quietly with status 0 when the
/// reader has gone, with a message and status 1 otherwise.
pub(crate) fn stop_for(error: &io::Error) -> Stop {
    if error.kind() == ErrorKind::BrokenPipe {
        Stop { code: 0, message: None }
    } else {
        Stop { code: 1, message: Some(format!("clerk: cannot write to standard output: {error}")) }
    }
}

/// Writes `text` and a newline to standard output (use [`outln!`]). Standard output is
/// line-buffered, so the line reaches the reader, or fails, now.
pub(crate) fn line(text: fmt::Arguments<'_>) {
    if cfg!(test) {
        // Unit tests print through `println!`, which the test harness captures.
        #[allow(clippy::print_stdout)]
        {
            println!("{}", printable(&text.to_string()));
        }
        return;
    }
    let text = text.to_string();
    let written = {
        let mut out = io::stdout().lock();
        out.write_all(printable(&text).as_bytes()).and_then(|()| out.write_all(b"\n"))
    };
    if let Err(error) = written {
        stop(&error);
    }
}

/// `text` safe to show on a terminal: a control character other than a line break or a
/// tab (an escape sequence in a server-supplied browser name, city or error message, which
/// could move the cursor, rewrite what is on screen or retitle the window) is written as
/// its Rust escape (`\u{1b}`) instead of being sent to the terminal. JSON output is
/// unchanged: its strings escape control characters already.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Flushes standard output before the program ends, so that a failure to write its last
/// bytes is handled like any other.
pub(crate) fn flush() {
    if let Err(error) = io::stdout().lock().flush() {
        stop(&error);
    }
}

/// Ends the program after a failed write (see [`stop_for`]).
fn stop(error: &io::Error) -> ! {
    let Stop { code, message } = stop_for(error);
    if let Some(message) = message {
        eprintln!("{message}");
    }
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::{Stop, printable, stop_for};

    #[test]
    fn control_characters_from_a_server_reach_the_terminal_escaped() {
        // A browser name that would clear the screen and retitle the window.
        let hostile = "Chrome\u{1b}[2J\u{1b}]0;pwned\u{7}\r 120";
        assert_eq!(printable(hostile), "Chrome\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\r 120");
        // Line breaks, tabs and any other text are left as they are, without a copy.
        let plain = "* sess_1  this device\n    Safari 17.1 on iPhone\tBerlin, DE — ünïcode";
        assert!(matches!(printable(plain), std::borrow::Cow::Borrowed(text) if text == plain));
    }

    #[test]
    fn a_reader_that_went_away_ends_the_program_quietly_and_successfully() {
        assert_eq!(stop_for(&Error::from(ErrorKind::BrokenPipe)), Stop { code: 0, message: None });
    }

    #[test]
    fn any_other_write_failure_is_reported_and_fails_the_program() {
        let stop = stop_for(&Error::from(ErrorKind::StorageFull));
        assert_eq!(stop.code, 1);
        let message = stop.message.unwrap_or_default();
        assert!(message.starts_with("clerk: cannot write to standard output"), "{message}");
    }
}
