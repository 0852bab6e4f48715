//! The engine mode a test runs in: one more input the generators choose, so every
//! transition sequence also runs the way a browser drives the engine (fapi.md §1.5–1.8,
//! docs/engine-contract.md "Browser mode", decision 0014).

use arbitrary::Arbitrary;
use clerk_core::{ClientConfig, TransportMode};

/// The development key of fapi.md's examples (`foo-bar-13.clerk.accounts.dev`).
pub const TEST_KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";

/// A production key for the same Frontend API host as [`TEST_KEY`], so that a state saved
/// in one mode can be restored in any other (the host must match).
pub const LIVE_KEY: &str = "pk_live_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";

/// How the engine under test is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Arbitrary)]
#[non_exhaustive]
pub enum EngineMode {
    /// `TransportMode::Native` on the development key: the client token in
    /// `Authorization`, `_is_native`, real methods.
    #[default]
    Native,
    /// `TransportMode::Browser` on a production key: cookies, `_method` tunnelling, no
    /// `Authorization`, no dev-browser token.
    BrowserProduction,
    /// `TransportMode::Browser` on the development key: as above, plus the dev-browser token
    /// (`POST /v1/dev_browser`, `__clerk_db_jwt`, `Clerk-Db-Jwt`, renewal after
    /// `dev_browser_unauthenticated`).
    BrowserDevelopment,
}

impl EngineMode {
    /// Every mode, for generators.
    pub const ALL: [EngineMode; 3] =
        [EngineMode::Native, EngineMode::BrowserProduction, EngineMode::BrowserDevelopment];

    /// The configuration of this mode.
    ///
    /// # Panics
    /// Never: both keys are valid.
    #[must_use]
    pub fn config(self) -> ClientConfig {
        let key = if self == EngineMode::BrowserProduction { LIVE_KEY } else { TEST_KEY };
        let config = match ClientConfig::from_publishable_key(key) {
            Ok(config) => config,
            Err(error) => panic!("test key refused: {error}"),
        };
        if self.is_browser() { config.with_mode(TransportMode::Browser) } else { config }
    }

    /// Whether requests go as a browser sends them (no `Authorization`, `_method`).
    #[must_use]
    pub fn is_browser(self) -> bool {
        self != EngineMode::Native
    }

    /// Whether the engine keeps a dev-browser token (browser mode, development instance).
    #[must_use]
    pub fn uses_dev_browser(self) -> bool {
        self == EngineMode::BrowserDevelopment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_has_the_same_host_and_the_configuration_it_names() {
        for mode in EngineMode::ALL {
            let config = mode.config();
            assert_eq!(config.frontend_api_host(), "foo-bar-13.clerk.accounts.dev");
            assert_eq!(config.mode().is_native(), !mode.is_browser());
            assert_eq!(config.uses_dev_browser(), mode.uses_dev_browser());
        }
    }
}
