//! Helpers shared by the clerk-store tests.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use clerk_core::secret::ClientToken;
use clerk_core::{Client, ClientConfig, PersistedState};
use time::macros::datetime;

/// The publishable key of the tests: Frontend API host `foo-bar-13.clerk.accounts.dev`.
pub const KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";
/// The host of [`KEY`].
pub const HOST: &str = "foo-bar-13.clerk.accounts.dev";

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "clerk-store-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn config() -> ClientConfig {
    ClientConfig::from_publishable_key(KEY).unwrap()
}

/// A real exported state for [`HOST`] with the given client token.
pub fn state_with_token(token: &str) -> PersistedState {
    let mut state = Client::new(config(), datetime!(2026-01-01 00:00 UTC)).export();
    state.client_token = Some(ClientToken::new(token));
    state
}
