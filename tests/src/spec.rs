//! Checking emitted requests against Clerk's published spec plus the known gaps
//! (`../shared/fapi/undocumented.json`), through `clerk-spec`'s generated table.

use clerk_core::HttpRequest;
use clerk_spec::Violation;

/// The violations of `request`, empty when the spec (plus undocumented.json) allows it: the
/// same check the property tests' runner makes of every request it sees.
#[must_use]
pub fn violations(request: &HttpRequest) -> Vec<Violation> {
    clerk_testkit::runner::spec_violations(request)
}

/// Fails the test when `request` is not allowed by the spec plus undocumented.json.
pub fn assert_conforms(request: &HttpRequest) {
    let found = violations(request);
    assert!(found.is_empty(), "{} {} violates the spec: {found:?}", request.method, request.path);
}
