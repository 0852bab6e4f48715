//! Checking emitted requests against Clerk's published spec plus the known gaps
//! (`../shared/fapi/undocumented.json`), through `clerk-spec`'s generated table.

use clerk_core::HttpRequest;
use clerk_spec::{RequestShape, SpecTable, Violation};

fn pairs(fields: &[clerk_core::Field]) -> Vec<(String, String)> {
    fields.iter().map(|field| (field.name.to_string(), field.value.expose().to_owned())).collect()
}

/// The violations of `request`, empty when the spec (plus undocumented.json) allows it.
#[must_use]
pub fn violations(request: &HttpRequest) -> Vec<Violation> {
    let table = match SpecTable::load() {
        Ok(table) => table,
        Err(error) => panic!("embedded spec table unreadable: {error}"),
    };
    let query = pairs(&request.query);
    let headers = pairs(&request.headers);
    let form = request.form.as_deref().map(pairs).unwrap_or_default();
    let shape = RequestShape {
        method: request.method.as_str(),
        path: &request.path,
        query: &query,
        headers: &headers,
        form: &form,
    };
    match table.validate(&shape) {
        Ok(_) => Vec::new(),
        Err(violations) => violations,
    }
}

/// Fails the test when `request` is not allowed by the spec plus undocumented.json.
pub fn assert_conforms(request: &HttpRequest) {
    let found = violations(request);
    assert!(found.is_empty(), "{} {} violates the spec: {found:?}", request.method, request.path);
}
