//! Where an application keeps its configuration on each platform.
//!
//! Computed here from the environment rather than through the `dirs`/`directories`
//! crates: the rule is three lines per platform, and those crates would add a native
//! dependency tree (`windows-sys`, `redox_users`, …) to every driver for it. The rules are
//! the ones those crates document for the user's configuration directory:
//!
//! | platform | directory |
//! | --- | --- |
//! | Linux, BSD, other Unix | `$XDG_CONFIG_HOME`, or `$HOME/.config` when that is unset or relative |
//! | macOS | `$HOME/Library/Application Support` |
//! | Windows | `%APPDATA%` (the roaming application data folder) |

use std::ffi::OsString;
use std::path::PathBuf;

use crate::error::StoreError;
use crate::file_store::check_component;

/// The platform's configuration directory for `app_name`, e.g.
/// `~/.config/my-app` on Linux. The directory is not created; [`FileStore::new`]
/// creates it (mode `0700` on Unix).
///
/// ```
/// let dir = clerk_store::default_dir("my-app");
/// if let Ok(dir) = dir {
///     assert!(dir.ends_with("my-app"));
/// }
/// ```
///
/// # Errors
/// [`StoreError::InvalidName`] when `app_name` is not a single plain path component, and
/// [`StoreError::NoConfigDir`] when the environment names no absolute home directory.
///
/// [`FileStore::new`]: crate::FileStore::new
pub fn default_dir(app_name: &str) -> Result<PathBuf, StoreError> {
    check_component(app_name)?;
    config_dir(Platform::CURRENT, |name| std::env::var_os(name))
        .map(|dir| dir.join(app_name))
        .ok_or(StoreError::NoConfigDir)
}

#[derive(Debug, Clone, Copy)]
enum Platform {
    Windows,
    MacOs,
    OtherUnix,
}

impl Platform {
    const CURRENT: Platform = if cfg!(windows) {
        Platform::Windows
    } else if cfg!(any(target_os = "macos", target_os = "ios")) {
        Platform::MacOs
    } else {
        Platform::OtherUnix
    };
}

/// The configuration directory on `platform` with environment lookup `env`.
fn config_dir(platform: Platform, env: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let absolute = |name: &str| env(name).map(PathBuf::from).filter(|path| path.is_absolute());
    match platform {
        Platform::Windows => absolute("APPDATA"),
        Platform::MacOs => absolute("HOME").map(|home| home.join("Library").join("Application Support")),
        Platform::OtherUnix => {
            absolute("XDG_CONFIG_HOME").or_else(|| absolute("HOME").map(|home| home.join(".config")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| pairs.iter().find(|(key, _)| *key == name).map(|(_, value)| OsString::from(value))
    }

    #[cfg(unix)]
    #[test]
    fn follows_each_platform_rule() {
        let unix = config_dir(Platform::OtherUnix, env(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/cfg")]));
        assert_eq!(unix, Some(PathBuf::from("/cfg")));
        let relative_xdg = config_dir(Platform::OtherUnix, env(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "cfg")]));
        assert_eq!(relative_xdg, Some(PathBuf::from("/home/u/.config")));
        let mac = config_dir(Platform::MacOs, env(&[("HOME", "/Users/u"), ("XDG_CONFIG_HOME", "/cfg")]));
        assert_eq!(mac, Some(PathBuf::from("/Users/u/Library/Application Support")));
        assert_eq!(config_dir(Platform::OtherUnix, env(&[])), None);
        assert_eq!(config_dir(Platform::Windows, env(&[("HOME", "/home/u")])), None);
    }

    #[test]
    fn refuses_app_names_that_are_paths() {
        for bad in ["", "..", "a/b", "a\\b"] {
            assert!(matches!(default_dir(bad), Err(StoreError::InvalidName { .. })), "{bad:?}");
        }
    }
}
