//! The token file: where this run keeps the client token, and what to tell the user when
//! that file cannot be used.
//!
//! A file that is corrupt, of another format version or for another Frontend API host is
//! never overwritten by the store, and the driver cannot start without reading it, so every
//! command fails the same way — `clerk sign-out --all` too, since it reads the file first.
//! The error therefore names the file and the way out: delete it and sign in again.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clerk_store::StoreError;
use clerk_store::file_store::shell_quoted;
use clerk_ureq::DriverError;

/// The token file of this run, once the store is opened.
static PATH: OnceLock<PathBuf> = OnceLock::new();

/// Remembers the token file of this run, so that an error about it can name it.
pub(crate) fn remember(path: &Path) {
    let _ = PATH.set(path.to_owned());
}

/// What to add to `error` when it means this run's token file cannot be used; `None` for
/// any other error, or before a token file was opened.
pub(crate) fn hint(error: &DriverError) -> Option<String> {
    hint_for(error, PATH.get()?)
}

/// What to add to `error` when it means the token file at `path` cannot be used: where the
/// file is and how to start over.
fn hint_for(error: &DriverError, path: &Path) -> Option<String> {
    let unusable = matches!(
        error,
        DriverError::Store(StoreError::Corrupt { .. } | StoreError::ForeignHost { .. }) | DriverError::Restore(_)
    );
    unusable.then(|| {
        format!(
            "The client token is kept in {shown}, which this build cannot use.\n\
             To start over, delete that file (`rm {quoted}`) and sign in again; sessions it held stay\n\
             open on the server until they expire. (`clerk sign-out --all` cannot help: it reads the file first.)",
            shown = path.display(),
            quoted = shell_quoted(path),
        )
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use clerk_store::StoreError;
    use clerk_ureq::DriverError;

    use super::hint_for;
    use clerk_store::file_store::shell_quoted;

    #[test]
    fn an_unreadable_or_foreign_file_gets_its_path_and_the_way_out() {
        let path = Path::new("/home/me/.config/clerk-rs/client-x.json");
        let corrupt = DriverError::Store(StoreError::Corrupt { path: PathBuf::from(path), reason: "not JSON".into() });
        let foreign = DriverError::Store(StoreError::ForeignHost {
            path: PathBuf::from(path),
            expected: "a".into(),
            found: "b".into(),
        });
        for error in [corrupt, foreign] {
            let hint = hint_for(&error, path).unwrap_or_else(|| panic!("no hint for {error}"));
            assert!(hint.contains("rm /home/me/.config/clerk-rs/client-x.json"), "{hint}");
        }
        assert_eq!(hint_for(&DriverError::Config(String::from("bad")), path), None);
    }

    #[test]
    fn a_path_with_spaces_or_quotes_is_one_shell_word() {
        assert_eq!(shell_quoted(Path::new("/tmp/My Config/it's.json")), r"'/tmp/My Config/it'\''s.json'");
        assert_eq!(shell_quoted(Path::new("/tmp/client-127.0.0.1_3A80.json")), "/tmp/client-127.0.0.1_3A80.json");
    }
}
