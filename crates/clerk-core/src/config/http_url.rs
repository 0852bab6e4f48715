//! The small amount of URL parsing configuration needs: absolute `http(s)` origins with an
//! optional path prefix, and bare hosts.

use super::publishable_key::is_forbidden_host_char;

/// Why a URL or host given in the configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The URL is a path (`/api/__clerk`). clerk-js resolves such a proxy URL against the
    /// page's origin; a library outside a browser has no page, so it needs an absolute URL.
    #[error("URL is a relative path; an absolute http(s) URL is needed")]
    RelativePath,
    /// The URL has no `scheme://`.
    #[error("URL has no scheme; an absolute http(s) URL is needed")]
    MissingScheme,
    /// The scheme is neither `http` nor `https`.
    #[error("URL scheme {scheme:?} is not http or https")]
    UnsupportedScheme {
        /// The scheme as given.
        scheme: String,
    },
    /// There is no host.
    #[error("URL has no host")]
    EmptyHost,
    /// The host contains a character no host can contain (`/`, `?`, `#`, `\`, whitespace,
    /// a control character, or a bracket outside an IPv6 literal).
    #[error("host contains the character {character:?}")]
    InvalidHostCharacter {
        /// The first offending character.
        character: char,
    },
    /// The port is empty, not decimal, or above 65535.
    #[error("URL port is not a number from 0 to 65535")]
    InvalidPort,
    /// The URL carries a user name or password (`user@host`).
    #[error("URL must not contain user information (`user@`)")]
    UserInfo,
    /// Plain `http` to a host that is not on this machine: the client token and session
    /// tokens would cross the network unencrypted (decision 0012). Loopback hosts
    /// ([`is_loopback_host`](super::is_loopback_host)) may use `http`.
    #[error("plain http to {host}, which is not on this machine, would send credentials unencrypted; use https")]
    PlainHttpToRemoteHost {
        /// The URL's `host[:port]`.
        host: String,
    },
    /// The URL has a query (`?…`) or fragment (`#…`); a base URL cannot carry either.
    #[error("URL must not have a query or fragment")]
    QueryOrFragment,
    /// The path contains `\`, whitespace or a control character.
    #[error("URL path contains the character {character:?}")]
    InvalidPathCharacter {
        /// The first offending character.
        character: char,
    },
}

/// An absolute `http`/`https` URL reduced to what a base URL needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    /// `http` or `https`, lower case.
    pub(crate) scheme: &'static str,
    /// `host` or `host:port` as given (IPv6 literals in brackets).
    pub(crate) authority: String,
    /// The path without trailing `/`: empty, or starting with `/`.
    pub(crate) path: String,
}

impl HttpUrl {
    /// Parses an absolute `http(s)://authority[/path]` URL. Trailing `/`s of the path are
    /// dropped; a query, a fragment, user information, or plain `http` to a host off this
    /// machine is refused.
    pub(crate) fn parse(input: &str) -> Result<Self, UrlError> {
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(if input.starts_with('/') { UrlError::RelativePath } else { UrlError::MissingScheme });
        };
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else if scheme.eq_ignore_ascii_case("http") {
            "http"
        } else {
            return Err(UrlError::UnsupportedScheme { scheme: scheme.to_owned() });
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, remainder) = rest.split_at(authority_end);
        if remainder.contains(['?', '#']) {
            return Err(UrlError::QueryOrFragment);
        }
        check_authority(authority)?;
        if scheme == "http" && !super::is_loopback_host(authority) {
            return Err(UrlError::PlainHttpToRemoteHost { host: authority.to_owned() });
        }
        if let Some(character) = remainder.chars().find(|&c| c == '\\' || c.is_whitespace() || c.is_control()) {
            return Err(UrlError::InvalidPathCharacter { character });
        }
        Ok(Self { scheme, authority: authority.to_owned(), path: remainder.trim_end_matches('/').to_owned() })
    }

    /// `scheme://authority/path` with no trailing `/`.
    pub(crate) fn to_base(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.path)
    }
}

/// Checks `host[:port]` (or `[ipv6][:port]`).
pub(crate) fn check_authority(authority: &str) -> Result<(), UrlError> {
    if authority.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    if authority.contains('@') {
        return Err(UrlError::UserInfo);
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((literal, after)) = bracketed.split_once(']') else {
            return Err(UrlError::InvalidHostCharacter { character: '[' });
        };
        if let Some(character) = literal.chars().find(|c| !(c.is_ascii_hexdigit() || matches!(c, ':' | '.'))) {
            return Err(UrlError::InvalidHostCharacter { character });
        }
        if literal.is_empty() {
            return Err(UrlError::EmptyHost);
        }
        match after {
            "" => (None, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return Err(UrlError::InvalidPort),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(authority), None),
        }
    };
    if let Some(host) = host {
        if host.is_empty() {
            return Err(UrlError::EmptyHost);
        }
        if let Some(character) = host.chars().find(|&c| is_forbidden_host_char(c) || matches!(c, '[' | ']' | ':')) {
            return Err(UrlError::InvalidHostCharacter { character });
        }
    }
    if let Some(port) = port {
        let digits_ok = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
        if !digits_ok || port.parse::<u16>().is_err() {
            return Err(UrlError::InvalidPort);
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let url = HttpUrl::parse("HTTPS://clerk.com/api/__clerk/").unwrap();
        assert_eq!(url.to_base(), "https://clerk.com/api/__clerk");
        assert_eq!(HttpUrl::parse("http://127.0.0.1:8080").unwrap().to_base(), "http://127.0.0.1:8080");
        assert_eq!(HttpUrl::parse("http://127.0.0.1:8080/").unwrap().to_base(), "http://127.0.0.1:8080");
        let ipv6 = HttpUrl::parse("http://[::1]:9000/x").unwrap();
        assert_eq!(ipv6.authority, "[::1]:9000");
        assert_eq!(ipv6.path, "/x");
    }

    #[test]
    fn refuses_what_cannot_be_a_base() {
        for (input, error) in [
            ("/api/__clerk", UrlError::RelativePath),
            ("clerk.com/api", UrlError::MissingScheme),
            ("ftp://clerk.com", UrlError::UnsupportedScheme { scheme: "ftp".into() }),
            ("https://", UrlError::EmptyHost),
            ("https:///path", UrlError::EmptyHost),
            ("https://:443", UrlError::EmptyHost),
            ("https://user:pw@clerk.com", UrlError::UserInfo),
            ("https://clerk.com?x=1", UrlError::QueryOrFragment),
            ("https://clerk.com/p#f", UrlError::QueryOrFragment),
            ("https://clerk.com:", UrlError::InvalidPort),
            ("https://clerk.com:99999", UrlError::InvalidPort),
            ("https://clerk.com:8a", UrlError::InvalidPort),
            ("https://clerk.com:+80", UrlError::InvalidPort),
            ("https://[::1", UrlError::InvalidHostCharacter { character: '[' }),
            ("https://[::1]x", UrlError::InvalidPort),
            ("https://cl erk.com", UrlError::InvalidHostCharacter { character: ' ' }),
            ("https://clerk.com\\evil", UrlError::InvalidHostCharacter { character: '\\' }),
            ("https://clerk.com/a b", UrlError::InvalidPathCharacter { character: ' ' }),
            ("https://clerk.com/a\\b", UrlError::InvalidPathCharacter { character: '\\' }),
        ] {
            assert_eq!(HttpUrl::parse(input), Err(error), "{input:?}");
        }
    }
}
