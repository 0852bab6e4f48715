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
//!   output: …` on standard error (with `--json`, a failure of kind `output`, see
//!   [`crate::failure`]) and exit status 1.
//!
//! The program stops where the write failed, even inside a driver's listener; what was
//! already done stays done (the token file is written atomically, a transcript line by
//! line).

use std::fmt;
use std::io::{self, ErrorKind, Write};

use crate::failure::{self, Failure, Kind};

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
    /// The failure to report on standard error, if any.
    pub(crate) failure: Option<Failure>,
}

/// How a failed write to standard output ends the program: quietly with status 0 when the
/// reader has gone, with a failure reported and status 1 otherwise.
pub(crate) fn stop_for(error: &io::Error) -> Stop {
    if error.kind() == ErrorKind::BrokenPipe {
        Stop { code: 0, failure: None }
    } else {
        Stop { code: 1, failure: Some(Failure::new(Kind::Output, format!("cannot write to standard output: {error}"))) }
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

/// Writes `value` as one line of JSON on standard output (see [`json_text`]), stopping the
/// program as [`outln!`] does when the line cannot be written.
pub(crate) fn json_line(value: &serde_json::Value) {
    line(format_args!("{}", json_text(value)));
}

/// `text` safe to show on a terminal: a control character other than a line break or a
/// tab (an escape sequence in a server-supplied browser name, city or error message, which
/// could move the cursor, rewrite what is on screen or retitle the window) is written as
/// its Rust escape (`\u{1b}`) instead of being sent to the terminal. JSON written by
/// [`json_line`] has no control character left for it to escape, so it stays JSON.
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

/// `value` as one line of JSON that is also safe on a terminal. serde_json escapes the
/// control characters JSON requires escaped (U+0000 to U+001F); DEL and the C1 controls
/// (U+007F to U+009F), which JSON allows raw but a terminal may act on, are escaped here
/// as `\u007f` and so on, which reads back as the same string. ([`printable`] would write
/// them as Rust escapes, which are not JSON.)
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if !text.chars().any(char::is_control) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            // Outside strings compact JSON has no control characters: this is inside one.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Flushes standard output before the program ends, so that a failure to write its last
/// bytes is handled like any other.
pub(crate) fn flush() {
    if let Err(error) = io::stdout().lock().flush() {
        stop(&error);
    }
}

/// Flushes standard output, ignoring a failure: for a program that is about to report a
/// failure of its own, which must not be replaced by one of writing.
pub(crate) fn flush_if_possible() {
    let _ = io::stdout().lock().flush();
}

/// Ends the program after a failed write (see [`stop_for`]).
fn stop(error: &io::Error) -> ! {
    let Stop { code, failure } = stop_for(error);
    if let Some(failure) = failure {
        failure::report(&failure);
    }
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use std::io::{Error, ErrorKind};

    use super::{Stop, json_text, printable, stop_for};

    #[test]
    fn json_for_a_terminal_escapes_every_control_character_and_stays_json() {
        let value = serde_json::json!({ "name": "a\u{1b}[2J\u{7f}\u{85}\u{9b}b\n", "plain": "ünïcode" });
        let text = json_text(&value);
        assert!(text.chars().all(|c| !c.is_control()), "{text:?}");
        assert!(text.contains("\\u007f") && text.contains("\\u0085") && text.contains("ünïcode"), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).ok().as_ref(), Some(&value));
        // serde_json leaves DEL and C1 raw, and the terminal's escaping of them was no JSON.
        assert!(serde_json::from_str::<serde_json::Value>(&printable(&value.to_string())).is_err());
        // What is escaped for the terminal is left as it is: the line stays JSON.
        assert!(matches!(printable(&text), std::borrow::Cow::Borrowed(_)), "{text}");
    }

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
        assert_eq!(stop_for(&Error::from(ErrorKind::BrokenPipe)), Stop { code: 0, failure: None });
    }

    #[test]
    fn any_other_write_failure_is_reported_and_fails_the_program() {
        let stop = stop_for(&Error::from(ErrorKind::StorageFull));
        assert_eq!(stop.code, 1);
        let failure = stop.failure.unwrap_or_else(|| panic!("no failure to report"));
        assert_eq!(failure.kind, crate::failure::Kind::Output);
        assert!(failure.text().starts_with("cannot write to standard output"), "{}", failure.text());
    }
}
