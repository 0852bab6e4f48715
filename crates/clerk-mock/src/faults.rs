//! Fault injection: make chosen routes misbehave the way networks and servers do.

use std::time::Duration;

/// A way for the mock to misbehave on a route ([`crate::MockServer::set_fault`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with `Retry-After: <secs>` and Clerk's `too_many_requests`
    /// error envelope. The request is not processed.
    TooManyRequests {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// This status (e.g. 500, 502, 503) with Clerk's error envelope (`internal_clerk_error`).
    /// The request is not processed.
    ServerError(u16),
    /// Wait this long, then process the request and answer normally.
    Slow(Duration),
    /// Process the request, then send only the first half of the JSON body (with the full
    /// `Content-Length`) and close the connection.
    TruncatedBody,
    /// `502` with an HTML page, as a proxy in front of the API would. The request is not
    /// processed.
    HtmlBody,
    /// Close the connection without answering. The request is not processed.
    DropConnection,
}

/// Which requests a fault applies to: a method and a path pattern.
///
/// The method is the effective one (a tunnelled `POST ?_method=PATCH` is a `PATCH`); `*` matches
/// any method. The pattern is a path whose segments are literals, `*` (any one segment) or a
/// final `**` (any rest, including nothing): `/v1/client/sign_ins/*/attempt_first_factor`,
/// `/v1/client/**`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    method: String,
    pattern: Vec<String>,
}

impl Route {
    /// A route for `method` (`GET`, `POST`, …, or `*`) and a path pattern.
    #[must_use]
    pub fn new(method: &str, pattern: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            pattern: pattern.trim_start_matches('/').split('/').map(str::to_owned).collect(),
        }
    }

    /// A route matching every method on a path pattern.
    #[must_use]
    pub fn any_method(pattern: &str) -> Self {
        Self::new("*", pattern)
    }

    /// Whether a request with this effective method and path is on the route.
    #[must_use]
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if self.method != "*" && !self.method.eq_ignore_ascii_case(method) {
            return false;
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut index = 0;
        for (position, part) in self.pattern.iter().enumerate() {
            if part == "**" && position + 1 == self.pattern.len() {
                return true;
            }
            match segments.get(index) {
                Some(segment) if part == "*" || part == segment => index += 1,
                _ => return false,
            }
        }
        index == segments.len()
    }
}

/// One armed fault.
#[derive(Debug, Clone)]
struct FaultRule {
    route: Route,
    fault: Fault,
    /// How many more requests it applies to; `None` = until cleared.
    remaining: Option<u32>,
}

/// The armed faults, first match wins.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultTable {
    rules: Vec<FaultRule>,
}

impl FaultTable {
    /// Arms a fault; `times: None` keeps it until [`FaultTable::clear`].
    pub(crate) fn set(&mut self, route: Route, fault: Fault, times: Option<u32>) {
        self.rules.push(FaultRule { route, fault, remaining: times });
    }

    /// Disarms every fault.
    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault for this request, if one is armed; counts it against its `times`.
    pub(crate) fn take(&mut self, method: &str, path: &str) -> Option<Fault> {
        let index = self.rules.iter().position(|rule| rule.route.matches(method, path))?;
        let rule = self.rules.get_mut(index)?;
        let fault = rule.fault.clone();
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                self.rules.remove(index);
            }
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments_and_rests() {
        let route = Route::new("POST", "/v1/client/sign_ins/*/attempt_first_factor");
        assert!(route.matches("post", "/v1/client/sign_ins/sia_1/attempt_first_factor"));
        assert!(!route.matches("GET", "/v1/client/sign_ins/sia_1/attempt_first_factor"));
        assert!(!route.matches("POST", "/v1/client/sign_ins/sia_1"));
        let rest = Route::any_method("/v1/client/**");
        assert!(rest.matches("DELETE", "/v1/client"));
        assert!(rest.matches("GET", "/v1/client/sessions/sess_1"));
        assert!(!rest.matches("GET", "/v1/environment"));
    }

    #[test]
    fn counted_faults_run_out() {
        let mut table = FaultTable::default();
        table.set(Route::any_method("/v1/environment"), Fault::ServerError(503), Some(2));
        assert_eq!(table.take("GET", "/v1/environment"), Some(Fault::ServerError(503)));
        assert_eq!(table.take("GET", "/v1/environment"), Some(Fault::ServerError(503)));
        assert_eq!(table.take("GET", "/v1/environment"), None);
    }
}
