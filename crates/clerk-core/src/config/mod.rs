//! Configuration: the publishable key, where requests go, and the engine's settings.
//!
//! A [`ClientConfig`] starts from a publishable key ([`ClientConfig::from_publishable_key`])
//! or, for a local mock, from a base URL ([`ClientConfig::for_base_url`]), and is adjusted
//! with `with_*` methods. Every setter that can receive a bad value validates it and returns
//! a [`ConfigError`], so a `ClientConfig` that exists is always valid.
//!
//! ```
//! use clerk_core::config::{ClientConfig, TransportMode};
//! let config = ClientConfig::from_publishable_key("pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ")?
//!     .with_proxy_url("https://example.com/api/__clerk/")?
//!     .with_mode(TransportMode::Native);
//! assert_eq!(config.base_url(), "https://example.com/api/__clerk");
//! assert_eq!(config.frontend_api_host(), "fake-clerk-test.clerk.accounts.dev");
//! # Ok::<(), clerk_core::config::ConfigError>(())
//! ```

mod http_url;
mod publishable_key;
mod retry;

use std::borrow::Cow;
use time::Duration;

pub use self::http_url::UrlError;
use self::http_url::{HttpUrl, check_authority};
pub use self::publishable_key::{InstanceType, PublishableKey, PublishableKeyError};
pub use self::retry::{Jitter, RetryPolicy};

/// The Frontend API version this library speaks (clerk-js's `SUPPORTED_FAPI_VERSION`), sent
/// as `__clerk_api_version` / `clerk-api-version`.
pub const DEFAULT_API_VERSION: &str = "2026-05-12";
/// Default for [`ClientConfig::token_lookup_leeway`]: 5 s.
pub const DEFAULT_TOKEN_LOOKUP_LEEWAY: Duration = Duration::seconds(5);
/// Default for [`ClientConfig::token_refresh_ahead`]: 17 s.
pub const DEFAULT_TOKEN_REFRESH_AHEAD: Duration = Duration::seconds(17);
/// Default for [`ClientConfig::max_response_bytes`]: 4 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Default for [`ClientConfig::jitter_seed`]: a fixed constant (the bytes of `clerk-rs`),
/// so runs are reproducible unless the application picks its own seed.
pub const DEFAULT_JITTER_SEED: u64 = 0x636C_6572_6B2D_7273;
/// Default for [`ClientConfig::email_link_poll_interval`]: 1 s.
pub const DEFAULT_EMAIL_LINK_POLL_INTERVAL: Duration = Duration::seconds(1);

/// How requests identify the client and which HTTP methods go on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TransportMode {
    /// What Clerk's native SDKs do (the default): query `_is_native=true`, the client token
    /// in the `Authorization` request header (and adopted from the `Authorization` response
    /// header), real `PUT`/`PATCH`/`DELETE` methods, and `x-mobile: 1`.
    #[default]
    Native,
    /// What clerk-js does in a browser: only `GET` and `POST` on the wire, other methods
    /// tunnelled as `POST …?_method=PUT|PATCH|DELETE`, and no `Authorization` header (the
    /// client is identified by the `__client` cookie, so the driver sends every request
    /// with the browser's cookies: `credentials: 'include'`). On a development instance
    /// the engine also keeps a dev-browser token ([`ClientConfig::uses_dev_browser`]).
    Browser,
}

impl TransportMode {
    /// Whether `PUT`, `PATCH` and `DELETE` are sent as `POST` with a `_method` query
    /// parameter (browser mode).
    #[must_use]
    pub fn tunnels_methods(self) -> bool {
        matches!(self, Self::Browser)
    }

    /// Whether the client token travels in the `Authorization` header and `_is_native` is
    /// sent (native mode).
    #[must_use]
    pub fn is_native(self) -> bool {
        matches!(self, Self::Native)
    }
}

/// Why a configuration value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The publishable key did not parse.
    #[error("invalid publishable key: {0}")]
    InvalidPublishableKey(#[from] PublishableKeyError),
    /// The proxy URL is not an absolute `http(s)` URL without query or fragment.
    #[error("invalid proxy URL: {0}")]
    InvalidProxyUrl(UrlError),
    /// The base URL is not an absolute `http(s)` URL without query or fragment.
    #[error("invalid base URL: {0}")]
    InvalidBaseUrl(UrlError),
    /// The domain is not a host (with optional port).
    #[error("invalid domain: {0}")]
    InvalidDomain(UrlError),
    /// The API version is empty.
    #[error("API version is empty")]
    EmptyApiVersion,
    /// The API version contains a character outside `A–Z a–z 0–9 - . _`.
    #[error("API version contains the character {character:?}")]
    InvalidApiVersionCharacter {
        /// The first offending character.
        character: char,
    },
    /// `max_response_bytes` is zero (no response could be read).
    #[error("max_response_bytes must be at least 1")]
    ZeroMaxResponseBytes,
    /// `retry.max_attempts` is zero (no request could be sent).
    #[error("retry max_attempts must be at least 1 (it counts the first send)")]
    ZeroMaxAttempts,
    /// `retry.multiplier` is zero.
    #[error("retry multiplier must be at least 1")]
    ZeroBackoffMultiplier,
    /// A duration setting is negative.
    #[error("{setting} must not be negative")]
    NegativeDuration {
        /// Which setting (for example `"token_lookup_leeway"` or `"retry.max_backoff"`).
        setting: &'static str,
    },
    /// The email-link poll interval is zero or negative (the engine would poll in a loop).
    #[error("email_link_poll_interval must be positive")]
    NonPositivePollInterval,
}

/// Everything the engine needs to know before it starts: which Clerk instance, where its
/// Frontend API is, how to talk to it, and the engine's limits and timings.
///
/// Build one with [`from_publishable_key`](Self::from_publishable_key) (or
/// [`for_base_url`](Self::for_base_url) for a local mock), then adjust it with the `with_*`
/// methods; each documents its default. Setters that can receive a bad value return
/// [`ConfigError`], so an existing `ClientConfig` is always valid.
///
/// Where requests go ([`base_url`](Self::base_url)), first match wins:
///
/// 1. a base URL set with [`with_base_url`](Self::with_base_url) (or
///    [`for_base_url`](Self::for_base_url));
/// 2. a proxy URL set with [`with_proxy_url`](Self::with_proxy_url);
/// 3. for a production instance, the domain set with [`with_domain`](Self::with_domain),
///    with `clerk.` in front;
/// 4. the Frontend API host from the publishable key, over `https`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The key this configuration came from; `None` from `for_base_url`.
    publishable_key: Option<PublishableKey>,
    /// Development or production.
    instance_type: InstanceType,
    /// The key's host, or the base URL's `host[:port]` from `for_base_url`.
    frontend_api_host: String,
    /// Sent as the API version.
    api_version: Cow<'static, str>,
    /// Native or browser transport.
    mode: TransportMode,
    /// Normalised proxy URL (`scheme://authority/path`, no trailing `/`).
    proxy_url: Option<String>,
    /// Satellite / custom domain, scheme and trailing `/` removed.
    domain: Option<String>,
    /// Normalised base URL override.
    base_url_override: Option<String>,
    /// Retry policy for requests safe to repeat.
    retry: RetryPolicy,
    /// Lookup leeway for cached session tokens.
    token_lookup_leeway: Duration,
    /// How long before expiry a session token is refreshed.
    token_refresh_ahead: Duration,
    /// Largest response body accepted.
    max_response_bytes: usize,
    /// Seed of the retry jitter generator.
    jitter_seed: u64,
    /// Delay between email-link polls.
    email_link_poll_interval: Duration,
    /// Whether to send `x-clerk-client-id`.
    client_id_header: bool,
}

/// Whether a Frontend API host (`name` or `name:port`) is on this machine's loopback
/// interface: a loopback IP literal (`127.0.0.0/8`, `[::1]`) or exactly `localhost`. A name
/// that merely starts like one (`127.attacker.example`, `localhost.example.com`) is a remote
/// host.
#[must_use]
pub fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split_once(']').map_or(rest, |(inside, _)| inside),
        None => host.split_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<core::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl ClientConfig {
    /// The configuration for the instance of `publishable_key`, with every setting at its
    /// default. Fails with [`ConfigError::InvalidPublishableKey`] (see
    /// [`PublishableKey::parse`]). The base URL is `https://` + the key's Frontend API host,
    /// or `http://` for a host on this machine's loopback interface ([`is_loopback_host`]:
    /// a local mock such as `clerk-mock`, whose printed key then works as it is).
    pub fn from_publishable_key(publishable_key: &str) -> Result<Self, ConfigError> {
        let key = PublishableKey::parse(publishable_key)?;
        let instance_type = key.instance_type();
        let frontend_api_host = key.frontend_api_host().to_owned();
        Ok(Self::with_defaults(Some(key), instance_type, frontend_api_host, None))
    }

    /// A configuration that sends every request to `base_url` (for example a local mock at
    /// `http://127.0.0.1:8080`), for an instance of type `instance_type`, with no
    /// publishable key. [`frontend_api_host`](Self::frontend_api_host) is the URL's
    /// `host[:port]`. The URL must be an absolute `https` URL (or `http` for a host on this
    /// machine, [`is_loopback_host`]) without query, fragment or user information
    /// ([`ConfigError::InvalidBaseUrl`]).
    pub fn for_base_url(base_url: &str, instance_type: InstanceType) -> Result<Self, ConfigError> {
        let url = HttpUrl::parse(base_url).map_err(ConfigError::InvalidBaseUrl)?;
        let host = url.authority.clone();
        Ok(Self::with_defaults(None, instance_type, host, Some(url.to_base())))
    }

    /// All settings at their defaults.
    fn with_defaults(
        publishable_key: Option<PublishableKey>,
        instance_type: InstanceType,
        frontend_api_host: String,
        base_url_override: Option<String>,
    ) -> Self {
        Self {
            publishable_key,
            instance_type,
            frontend_api_host,
            api_version: Cow::Borrowed(DEFAULT_API_VERSION),
            mode: TransportMode::default(),
            proxy_url: None,
            domain: None,
            base_url_override,
            retry: RetryPolicy::default(),
            token_lookup_leeway: DEFAULT_TOKEN_LOOKUP_LEEWAY,
            token_refresh_ahead: DEFAULT_TOKEN_REFRESH_AHEAD,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            jitter_seed: DEFAULT_JITTER_SEED,
            email_link_poll_interval: DEFAULT_EMAIL_LINK_POLL_INTERVAL,
            client_id_header: false,
        }
    }

    /// Sets the Frontend API version sent with every request. Default
    /// [`DEFAULT_API_VERSION`] (`2026-05-12`). It must be non-empty and use only
    /// `A–Z a–z 0–9 - . _`, so it is safe as a header and query value.
    pub fn with_api_version(mut self, api_version: &str) -> Result<Self, ConfigError> {
        if api_version.is_empty() {
            return Err(ConfigError::EmptyApiVersion);
        }
        if let Some(character) =
            api_version.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
        {
            return Err(ConfigError::InvalidApiVersionCharacter { character });
        }
        self.api_version = Cow::Owned(api_version.to_owned());
        Ok(self)
    }

    /// Sets the transport mode. Default [`TransportMode::Native`].
    #[must_use]
    pub fn with_mode(mut self, mode: TransportMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sends requests through a proxy: `https://clerk.com/api/__clerk/` makes the request
    /// path `/v1/client` go to `https://clerk.com/api/__clerk/v1/client`. Default: no proxy.
    ///
    /// The URL must be absolute `https` (or `http` for a host on this machine,
    /// [`is_loopback_host`]; otherwise [`UrlError::PlainHttpToRemoteHost`], decision 0012),
    /// without query, fragment or user information; trailing `/`s are dropped. clerk-js
    /// also accepts a path (`/api/__clerk`) and resolves
    /// it against the page's origin; outside a browser there is no page, so a path is
    /// refused with [`UrlError::RelativePath`] inside [`ConfigError::InvalidProxyUrl`].
    pub fn with_proxy_url(mut self, proxy_url: &str) -> Result<Self, ConfigError> {
        let url = HttpUrl::parse(proxy_url).map_err(ConfigError::InvalidProxyUrl)?;
        self.proxy_url = Some(url.to_base());
        Ok(self)
    }

    /// Sets the satellite or custom domain (`example.com`). Default: none.
    ///
    /// For a production instance, requests go to `https://clerk.<domain>` (unless the domain
    /// already starts with `clerk.` or contains `.clerk.accounts`, when it is used as is),
    /// unless a proxy or base URL is set. For a development instance the host never changes;
    /// the domain is sent as the query parameter `__domain` instead
    /// ([`domain_query_value`](Self::domain_query_value)).
    ///
    /// A leading `http://` or `https://` and trailing `/`s are removed (as clerk-js does);
    /// what remains must be a host with an optional port ([`ConfigError::InvalidDomain`]).
    pub fn with_domain(mut self, domain: &str) -> Result<Self, ConfigError> {
        let without_scheme = strip_prefix_ignore_case(domain, "https://")
            .or_else(|| strip_prefix_ignore_case(domain, "http://"))
            .unwrap_or(domain);
        let host = without_scheme.trim_end_matches('/');
        check_authority(host).map_err(ConfigError::InvalidDomain)?;
        self.domain = Some(host.to_owned());
        Ok(self)
    }

    /// Sends every request to `base_url` instead (for example a local mock at
    /// `http://127.0.0.1:8080`); it takes precedence over the proxy URL and the domain.
    /// Default: none. The URL's `host[:port]` becomes the
    /// [`frontend_api_host`](Self::frontend_api_host) that persisted state is keyed by, so
    /// a client token stored for the key's instance is never sent to the override (nor one
    /// of the override's to the instance; decision 0012). Same URL rules as
    /// [`with_proxy_url`](Self::with_proxy_url), reported as [`ConfigError::InvalidBaseUrl`].
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, ConfigError> {
        let url = HttpUrl::parse(base_url).map_err(ConfigError::InvalidBaseUrl)?;
        self.base_url_override = Some(url.to_base());
        self.frontend_api_host = url.authority;
        Ok(self)
    }

    /// Sets the retry policy for requests that are safe to repeat. Default
    /// [`RetryPolicy::default`]: 3 attempts, 100 ms / 700 ms ×2 backoff capped at 5 s, with
    /// jitter. Refused: `max_attempts` 0, `multiplier` 0, a negative duration.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Result<Self, ConfigError> {
        if retry.max_attempts == 0 {
            return Err(ConfigError::ZeroMaxAttempts);
        }
        if retry.multiplier == 0 {
            return Err(ConfigError::ZeroBackoffMultiplier);
        }
        non_negative(retry.initial_backoff, "retry.initial_backoff")?;
        non_negative(retry.base_backoff, "retry.base_backoff")?;
        non_negative(retry.max_backoff, "retry.max_backoff")?;
        self.retry = retry;
        Ok(self)
    }

    /// Sets the lookup leeway for cached session tokens: a cached token is used only if it
    /// has more than this left to live. Default [`DEFAULT_TOKEN_LOOKUP_LEEWAY`] (5 s). Must
    /// not be negative.
    pub fn with_token_lookup_leeway(mut self, leeway: Duration) -> Result<Self, ConfigError> {
        self.token_lookup_leeway = non_negative(leeway, "token_lookup_leeway")?;
        Ok(self)
    }

    /// Sets how long before its expiry a session token is refreshed. Default
    /// [`DEFAULT_TOKEN_REFRESH_AHEAD`] (17 s). Must not be negative.
    pub fn with_token_refresh_ahead(mut self, ahead: Duration) -> Result<Self, ConfigError> {
        self.token_refresh_ahead = non_negative(ahead, "token_refresh_ahead")?;
        Ok(self)
    }

    /// Sets the largest response body, in bytes, that drivers read and the engine accepts.
    /// Default [`DEFAULT_MAX_RESPONSE_BYTES`] (4 MiB). Must be at least 1.
    pub fn with_max_response_bytes(mut self, max_response_bytes: usize) -> Result<Self, ConfigError> {
        if max_response_bytes == 0 {
            return Err(ConfigError::ZeroMaxResponseBytes);
        }
        self.max_response_bytes = max_response_bytes;
        Ok(self)
    }

    /// Sets the seed of the retry jitter generator ([`Jitter`]). Default
    /// [`DEFAULT_JITTER_SEED`] (a fixed constant: the same configuration gives the same
    /// delays). Pick a random seed per process if many clients must not retry in step.
    #[must_use]
    pub fn with_jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = seed;
        self
    }

    /// Sets the delay between email-link verification polls. Default
    /// [`DEFAULT_EMAIL_LINK_POLL_INTERVAL`] (1 s). Must be positive.
    pub fn with_email_link_poll_interval(mut self, interval: Duration) -> Result<Self, ConfigError> {
        if !interval.is_positive() {
            return Err(ConfigError::NonPositivePollInterval);
        }
        self.email_link_poll_interval = interval;
        Ok(self)
    }

    /// Sets whether requests carry the `x-clerk-client-id` header (the current client's id,
    /// when known), as the iOS and Android SDKs do. Default `false`.
    #[must_use]
    pub fn with_client_id_header(mut self, send: bool) -> Self {
        self.client_id_header = send;
        self
    }

    /// Where requests go, without a trailing `/`: origin plus any path prefix. A request
    /// path such as `/v1/client` is appended to it as is. See the type's documentation for
    /// the order of precedence.
    ///
    /// ```
    /// use clerk_core::config::ClientConfig;
    /// let config = ClientConfig::from_publishable_key("pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk")?;
    /// assert_eq!(config.base_url(), "https://foo-bar-13.clerk.accounts.dev");
    /// # Ok::<(), clerk_core::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn base_url(&self) -> String {
        if let Some(base) = &self.base_url_override {
            return base.clone();
        }
        if let Some(proxy) = &self.proxy_url {
            return proxy.clone();
        }
        if let (InstanceType::Production, Some(domain)) = (self.instance_type, &self.domain) {
            return format!("https://{}", with_clerk_prefix(domain));
        }
        // A key for a Frontend API on this machine (a local mock, `clerk-mock`) is spoken to
        // over plain HTTP: it has no certificate, and nothing leaves the machine
        // (decision 0011).
        let scheme = if is_loopback_host(&self.frontend_api_host) { "http" } else { "https" };
        format!("{scheme}://{}", self.frontend_api_host)
    }

    /// Whether requests carry a dev-browser token (`__clerk_db_jwt`, fapi.md §1.8.3): in
    /// [`TransportMode::Browser`] on a development instance, as clerk-js does in a standard
    /// browser. The engine then makes one with `POST /v1/dev_browser` before the first
    /// request that needs it, adopts a `Clerk-Db-Jwt` response header, and makes a new one
    /// after a `dev_browser_unauthenticated` answer. Native clients never use one.
    #[must_use]
    pub fn uses_dev_browser(&self) -> bool {
        self.mode == TransportMode::Browser && self.instance_type == InstanceType::Development
    }

    /// The value of the `__domain` query parameter every request must carry: the domain
    /// for a development instance with a domain set, otherwise `None`.
    #[must_use]
    pub fn domain_query_value(&self) -> Option<&str> {
        match self.instance_type {
            InstanceType::Development => self.domain.as_deref(),
            InstanceType::Production => None,
        }
    }

    /// The Frontend API host from the publishable key, or the base URL's `host[:port]` for
    /// [`for_base_url`](Self::for_base_url) and [`with_base_url`](Self::with_base_url).
    /// Persisted state is keyed by it. A proxy or domain does not change it: requests
    /// through them reach the same instance, where the same client token is valid.
    #[must_use]
    pub fn frontend_api_host(&self) -> &str {
        &self.frontend_api_host
    }

    /// The parsed publishable key, or `None` for [`for_base_url`](Self::for_base_url).
    #[must_use]
    pub fn publishable_key(&self) -> Option<&PublishableKey> {
        self.publishable_key.as_ref()
    }

    /// Development or production.
    #[must_use]
    pub fn instance_type(&self) -> InstanceType {
        self.instance_type
    }

    /// The Frontend API version sent with every request.
    #[must_use]
    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The API version as a request field value (borrowed, without allocating, for the
    /// default version).
    pub(crate) fn api_version_value(&self) -> Cow<'static, str> {
        self.api_version.clone()
    }

    /// The transport mode.
    #[must_use]
    pub fn mode(&self) -> TransportMode {
        self.mode
    }

    /// The proxy URL, normalised (no trailing `/`), if set.
    #[must_use]
    pub fn proxy_url(&self) -> Option<&str> {
        self.proxy_url.as_deref()
    }

    /// The satellite / custom domain as set (scheme and trailing `/` removed, no `clerk.`
    /// added), if set.
    #[must_use]
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The retry policy.
    #[must_use]
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The lookup leeway for cached session tokens.
    #[must_use]
    pub fn token_lookup_leeway(&self) -> Duration {
        self.token_lookup_leeway
    }

    /// How long before expiry a session token is refreshed.
    #[must_use]
    pub fn token_refresh_ahead(&self) -> Duration {
        self.token_refresh_ahead
    }

    /// The largest response body accepted, in bytes.
    #[must_use]
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// The seed of the retry jitter generator.
    #[must_use]
    pub fn jitter_seed(&self) -> u64 {
        self.jitter_seed
    }

    /// A jitter generator seeded from [`jitter_seed`](Self::jitter_seed).
    #[must_use]
    pub fn jitter(&self) -> Jitter {
        Jitter::new(self.jitter_seed)
    }

    /// The delay between email-link verification polls.
    #[must_use]
    pub fn email_link_poll_interval(&self) -> Duration {
        self.email_link_poll_interval
    }

    /// Whether requests carry the `x-clerk-client-id` header.
    #[must_use]
    pub fn client_id_header(&self) -> bool {
        self.client_id_header
    }
}

/// `text` without `prefix`, comparing ASCII case-insensitively.
fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) { text.get(prefix.len()..) } else { None }
}

/// The production host for a custom domain: `clerk.<domain>`, unless the domain already
/// starts with `clerk.` or contains `.clerk.accounts`.
fn with_clerk_prefix(domain: &str) -> String {
    let lower = domain.to_ascii_lowercase();
    if lower.starts_with("clerk.") || lower.contains(".clerk.accounts") {
        domain.to_owned()
    } else {
        format!("clerk.{domain}")
    }
}

/// `duration` if it is not negative, else [`ConfigError::NegativeDuration`].
fn non_negative(duration: Duration, setting: &'static str) -> Result<Duration, ConfigError> {
    if duration.is_negative() { Err(ConfigError::NegativeDuration { setting }) } else { Ok(duration) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    const DEV_KEY: &str = "pk_test_Zm9vLWJhci0xMy5jbGVyay5hY2NvdW50cy5kZXYk";
    const LIVE_KEY: &str = "pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ";
    /// `pk_live_` + base64(`clerk.example.com$`).
    const LIVE_CUSTOM_KEY: &str = "pk_live_Y2xlcmsuZXhhbXBsZS5jb20k";

    fn dev() -> ClientConfig {
        ClientConfig::from_publishable_key(DEV_KEY).unwrap()
    }

    fn live() -> ClientConfig {
        ClientConfig::from_publishable_key(LIVE_KEY).unwrap()
    }

    /// `pk_test_` + base64 of `host$`.
    fn key_for(host: &str) -> String {
        use base64::Engine as _;
        format!("pk_test_{}", base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{host}$")))
    }

    #[test]
    fn only_loopback_addresses_and_localhost_count_as_loopback() {
        for host in
            ["127.0.0.1:39111", "127.0.0.1", "127.1.2.3:80", "localhost:3000", "LOCALHOST", "[::1]:8080", "[::1]"]
        {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "127.attacker.example",
            "127.attacker.example:443",
            "localhost.example.com",
            "localhost.example.com:80",
            "clerk.example.com",
            "10.0.0.1:80",
            "[2001:db8::1]:443",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn a_key_for_a_local_frontend_api_is_spoken_to_over_http_and_only_that_one() {
        let local = ClientConfig::from_publishable_key(&key_for("127.0.0.1:39111")).unwrap();
        assert_eq!(local.base_url(), "http://127.0.0.1:39111");
        assert_eq!(local.frontend_api_host(), "127.0.0.1:39111");
        let look_alike = ClientConfig::from_publishable_key(&key_for("127.attacker.example")).unwrap();
        assert_eq!(look_alike.base_url(), "https://127.attacker.example");
        assert_eq!(dev().base_url(), "https://foo-bar-13.clerk.accounts.dev");
    }

    #[test]
    fn config_is_send_sync_static() {
        fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug + Eq + 'static>() {}
        assert_traits::<ClientConfig>();
        assert_traits::<PublishableKey>();
        assert_traits::<ConfigError>();
    }

    #[test]
    fn defaults() {
        let config = dev();
        assert_eq!(config.instance_type(), InstanceType::Development);
        assert_eq!(config.frontend_api_host(), "foo-bar-13.clerk.accounts.dev");
        assert_eq!(config.publishable_key().unwrap().as_str(), DEV_KEY);
        assert_eq!(config.api_version(), "2026-05-12");
        assert_eq!(config.mode(), TransportMode::Native);
        assert_eq!(config.proxy_url(), None);
        assert_eq!(config.domain(), None);
        assert_eq!(config.retry(), &RetryPolicy::default());
        assert_eq!(config.token_lookup_leeway(), Duration::seconds(5));
        assert_eq!(config.token_refresh_ahead(), Duration::seconds(17));
        assert_eq!(config.max_response_bytes(), 4_194_304);
        assert_eq!(config.jitter_seed(), DEFAULT_JITTER_SEED);
        assert_eq!(config.email_link_poll_interval(), Duration::seconds(1));
        assert!(!config.client_id_header());
        assert_eq!(config.domain_query_value(), None);
    }

    #[test]
    fn bad_key_is_a_config_error() {
        assert_eq!(
            ClientConfig::from_publishable_key("pk_live_aW52YWxpZGtleSQ="),
            Err(ConfigError::InvalidPublishableKey(PublishableKeyError::NoDotInHost))
        );
    }

    #[test]
    fn transport_modes() {
        assert!(TransportMode::Native.is_native());
        assert!(!TransportMode::Native.tunnels_methods());
        assert!(TransportMode::Browser.tunnels_methods());
        assert!(!TransportMode::Browser.is_native());
        assert_eq!(dev().with_mode(TransportMode::Browser).mode(), TransportMode::Browser);
        // fapi.md §1.8.3: standard browsers on development instances only.
        assert!(dev().with_mode(TransportMode::Browser).uses_dev_browser());
        assert!(!dev().uses_dev_browser());
        assert!(!live().with_mode(TransportMode::Browser).uses_dev_browser());
    }

    // fapi.md §1.2 rule 3: the key's host.
    #[test]
    fn base_url_from_key() {
        assert_eq!(dev().base_url(), "https://foo-bar-13.clerk.accounts.dev");
        assert_eq!(live().base_url(), "https://fake-clerk-test.clerk.accounts.dev");
        assert_eq!(format!("{}{}", dev().base_url(), "/v1/client"), "https://foo-bar-13.clerk.accounts.dev/v1/client");
    }

    // fapi.md §1.2 rule 1, the worked example.
    #[test]
    fn base_url_with_proxy() {
        let config = live().with_proxy_url("https://clerk.com/api/__clerk/").unwrap();
        assert_eq!(config.proxy_url(), Some("https://clerk.com/api/__clerk"));
        assert_eq!(
            format!("{}{}", config.base_url(), "/v1/client/sign_ins/sia_123/prepare_first_factor"),
            "https://clerk.com/api/__clerk/v1/client/sign_ins/sia_123/prepare_first_factor"
        );
        // The proxy wins over a production domain, and the persisted-state key is unchanged.
        let both = config.with_domain("example.com").unwrap();
        assert_eq!(both.base_url(), "https://clerk.com/api/__clerk");
        assert_eq!(both.frontend_api_host(), "fake-clerk-test.clerk.accounts.dev");
        // An origin-only proxy, in development too.
        let plain = dev().with_proxy_url("http://localhost:3000").unwrap();
        assert_eq!(plain.base_url(), "http://localhost:3000");
    }

    // Decision 0012: plain http only to this machine, for proxies and base URLs alike.
    #[test]
    fn plain_http_off_this_machine_is_refused() {
        let remote = |host: &str| UrlError::PlainHttpToRemoteHost { host: host.to_owned() };
        assert_eq!(
            live().with_proxy_url("http://proxy.example.com/p"),
            Err(ConfigError::InvalidProxyUrl(remote("proxy.example.com")))
        );
        assert_eq!(
            live().with_base_url("HTTP://10.0.0.5:8080"),
            Err(ConfigError::InvalidBaseUrl(remote("10.0.0.5:8080")))
        );
        assert_eq!(
            ClientConfig::for_base_url("http://127.attacker.example", InstanceType::Development),
            Err(ConfigError::InvalidBaseUrl(remote("127.attacker.example")))
        );
        for local in ["http://127.0.0.1:1", "http://localhost", "http://[::1]:8080", "https://10.0.0.5"] {
            assert!(live().with_base_url(local).is_ok(), "{local}");
        }
    }

    #[test]
    fn relative_proxy_url_is_refused() {
        assert_eq!(live().with_proxy_url("/api/__clerk"), Err(ConfigError::InvalidProxyUrl(UrlError::RelativePath)));
        assert_eq!(
            live().with_proxy_url("https://clerk.com/api?x=1"),
            Err(ConfigError::InvalidProxyUrl(UrlError::QueryOrFragment))
        );
    }

    // fapi.md §1.2 rule 2: production + domain → clerk.<domain>.
    #[test]
    fn production_domain_gets_clerk_prefix() {
        for (domain, host) in [
            ("example.com", "clerk.example.com"),
            ("https://example.com/", "clerk.example.com"),
            ("HTTP://satellite.dev", "clerk.satellite.dev"),
            ("clerk.example.com", "clerk.example.com"),
            ("Clerk.Example.com", "Clerk.Example.com"),
            ("happy-hippo-1.clerk.accounts.dev", "happy-hippo-1.clerk.accounts.dev"),
            ("example.com:8443", "clerk.example.com:8443"),
        ] {
            let config = live().with_domain(domain).unwrap();
            assert_eq!(config.base_url(), format!("https://{host}"), "{domain}");
            assert_eq!(config.domain_query_value(), None, "{domain}");
            assert_eq!(config.frontend_api_host(), "fake-clerk-test.clerk.accounts.dev");
        }
        let custom = ClientConfig::from_publishable_key(LIVE_CUSTOM_KEY).unwrap();
        assert_eq!(custom.base_url(), "https://clerk.example.com");
    }

    // fapi.md §1.2, last paragraph: development + domain → same host, `__domain` query.
    #[test]
    fn development_satellite_sends_domain_query() {
        let config = dev().with_domain("satellite.example.com").unwrap();
        assert_eq!(config.base_url(), "https://foo-bar-13.clerk.accounts.dev");
        assert_eq!(config.domain_query_value(), Some("satellite.example.com"));
        assert_eq!(config.domain(), Some("satellite.example.com"));
        let with_scheme = dev().with_domain("https://satellite.example.com").unwrap();
        assert_eq!(with_scheme.domain_query_value(), Some("satellite.example.com"));
    }

    #[test]
    fn bad_domains_are_refused() {
        for (domain, error) in [
            ("", UrlError::EmptyHost),
            ("https://", UrlError::EmptyHost),
            ("example.com/path", UrlError::InvalidHostCharacter { character: '/' }),
            ("a b.com", UrlError::InvalidHostCharacter { character: ' ' }),
            ("user@example.com", UrlError::UserInfo),
            ("example.com:x", UrlError::InvalidPort),
        ] {
            assert_eq!(live().with_domain(domain), Err(ConfigError::InvalidDomain(error)), "{domain:?}");
        }
    }

    #[test]
    fn base_url_override_wins_and_keys_state_by_its_host() {
        let config = live()
            .with_domain("example.com")
            .unwrap()
            .with_proxy_url("https://proxy.example.com/p")
            .unwrap()
            .with_base_url("http://127.0.0.1:4010/")
            .unwrap();
        assert_eq!(config.base_url(), "http://127.0.0.1:4010");
        // State stored for the key's instance is not the override's (decision 0012).
        assert_eq!(config.frontend_api_host(), "127.0.0.1:4010");
        assert_eq!(
            live().with_proxy_url("https://proxy.example.com/p").unwrap().frontend_api_host(),
            live().frontend_api_host()
        );
        assert_eq!(live().with_base_url("127.0.0.1:4010"), Err(ConfigError::InvalidBaseUrl(UrlError::MissingScheme)));
    }

    #[test]
    fn for_base_url_uses_host_and_port() {
        let config = ClientConfig::for_base_url("http://127.0.0.1:8080", InstanceType::Development).unwrap();
        assert_eq!(config.base_url(), "http://127.0.0.1:8080");
        assert_eq!(config.frontend_api_host(), "127.0.0.1:8080");
        assert_eq!(config.instance_type(), InstanceType::Development);
        assert_eq!(config.publishable_key(), None);
        assert_eq!(config.api_version(), DEFAULT_API_VERSION);
        let prefixed = ClientConfig::for_base_url("http://localhost:9/mock/", InstanceType::Production).unwrap();
        assert_eq!(prefixed.base_url(), "http://localhost:9/mock");
        assert_eq!(prefixed.frontend_api_host(), "localhost:9");
        assert_eq!(
            ClientConfig::for_base_url("/mock", InstanceType::Production),
            Err(ConfigError::InvalidBaseUrl(UrlError::RelativePath))
        );
    }

    #[test]
    fn setters_validate() {
        assert_eq!(dev().with_api_version("").unwrap_err(), ConfigError::EmptyApiVersion);
        assert_eq!(
            dev().with_api_version("2025-11-10&x=1").unwrap_err(),
            ConfigError::InvalidApiVersionCharacter { character: '&' }
        );
        assert_eq!(dev().with_api_version("2025-11-10").unwrap().api_version(), "2025-11-10");
        assert_eq!(dev().with_max_response_bytes(0).unwrap_err(), ConfigError::ZeroMaxResponseBytes);
        assert_eq!(dev().with_max_response_bytes(1).unwrap().max_response_bytes(), 1);
        let zero_attempts = RetryPolicy { max_attempts: 0, ..RetryPolicy::default() };
        assert_eq!(dev().with_retry(zero_attempts).unwrap_err(), ConfigError::ZeroMaxAttempts);
        let zero_multiplier = RetryPolicy { multiplier: 0, ..RetryPolicy::default() };
        assert_eq!(dev().with_retry(zero_multiplier).unwrap_err(), ConfigError::ZeroBackoffMultiplier);
        let negative = RetryPolicy { max_backoff: Duration::milliseconds(-1), ..RetryPolicy::default() };
        assert_eq!(
            dev().with_retry(negative).unwrap_err(),
            ConfigError::NegativeDuration { setting: "retry.max_backoff" }
        );
        assert_eq!(dev().with_retry(RetryPolicy::no_retries()).unwrap().retry().max_attempts, 1);
        assert_eq!(
            dev().with_token_lookup_leeway(Duration::seconds(-1)).unwrap_err(),
            ConfigError::NegativeDuration { setting: "token_lookup_leeway" }
        );
        assert_eq!(
            dev().with_token_refresh_ahead(Duration::seconds(-1)).unwrap_err(),
            ConfigError::NegativeDuration { setting: "token_refresh_ahead" }
        );
        assert_eq!(dev().with_token_lookup_leeway(Duration::ZERO).unwrap().token_lookup_leeway(), Duration::ZERO);
        assert_eq!(
            dev().with_token_refresh_ahead(Duration::seconds(30)).unwrap().token_refresh_ahead(),
            Duration::seconds(30)
        );
        assert_eq!(
            dev().with_email_link_poll_interval(Duration::ZERO).unwrap_err(),
            ConfigError::NonPositivePollInterval
        );
        assert_eq!(
            dev().with_email_link_poll_interval(Duration::seconds(2)).unwrap().email_link_poll_interval(),
            Duration::seconds(2)
        );
        let tuned = dev().with_jitter_seed(9).with_client_id_header(true);
        assert_eq!(tuned.jitter_seed(), 9);
        assert!(tuned.client_id_header());
        assert_eq!(tuned.jitter(), Jitter::new(9));
    }
}
