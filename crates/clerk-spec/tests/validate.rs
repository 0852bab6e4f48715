//! Requests checked against the embedded table. Expectations are written by hand from
//! `docs/fapi.md` (the wire examples of its §1, §3 and Appendix B), not from the table.
#![forbid(unsafe_code)]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use clerk_spec::{Operation, ParameterType, RequestShape, SpecTable, Violation};

fn table() -> SpecTable {
    SpecTable::load().expect("the embedded table loads")
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// What a native client adds to every request (fapi.md §1.6 recommendation).
const NATIVE_QUERY: &[(&str, &str)] = &[("__clerk_api_version", "2026-05-12"), ("_is_native", "true")];
const NATIVE_HEADERS: &[(&str, &str)] = &[
    ("Authorization", "eyJhbGciOi.client.token"),
    ("x-mobile", "1"),
    ("clerk-api-version", "2026-05-12"),
    ("Content-Type", "application/x-www-form-urlencoded"),
    ("User-Agent", "clerk-rs/0.1"),
    ("Accept", "application/json"),
];

struct Request {
    method: &'static str,
    path: &'static str,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    form: Vec<(String, String)>,
}

impl Request {
    /// A native request with the common query parameters and headers.
    fn native(method: &'static str, path: &'static str) -> Self {
        Self { method, path, query: pairs(NATIVE_QUERY), headers: pairs(NATIVE_HEADERS), form: Vec::new() }
    }

    /// A request with nothing but method and path.
    fn bare(method: &'static str, path: &'static str) -> Self {
        Self { method, path, query: Vec::new(), headers: Vec::new(), form: Vec::new() }
    }

    fn query(mut self, p: &[(&str, &str)]) -> Self {
        self.query.extend(pairs(p));
        self
    }

    fn header(mut self, p: &[(&str, &str)]) -> Self {
        self.headers.extend(pairs(p));
        self
    }

    fn form(mut self, p: &[(&str, &str)]) -> Self {
        self.form.extend(pairs(p));
        self
    }

    fn validate<'t>(&self, table: &'t SpecTable) -> Result<&'t Operation, Vec<Violation>> {
        table.validate(&RequestShape {
            method: self.method,
            path: self.path,
            query: &self.query,
            headers: &self.headers,
            form: &self.form,
        })
    }

    /// Asserts the request is valid and belongs to `method template`.
    fn assert_valid(&self, table: &SpecTable, method: &str, template: &str) {
        match self.validate(table) {
            Ok(op) => assert_eq!(
                (op.method.as_str(), op.path.as_str()),
                (method, template),
                "{} {} matched the wrong operation",
                self.method,
                self.path
            ),
            Err(violations) => panic!("{} {} should be valid, got {violations:#?}", self.method, self.path),
        }
    }

    fn violations(&self, table: &SpecTable) -> Vec<Violation> {
        match self.validate(table) {
            Ok(op) => {
                panic!("{} {} should be invalid, but validated as {} {}", self.method, self.path, op.method, op.path)
            }
            Err(v) => v,
        }
    }
}

fn name(n: &str) -> String {
    n.to_owned()
}

// ------------------------------------------------------------------------------------------
// Valid requests

#[test]
fn password_sign_in_create_is_valid() {
    let t = table();
    Request::native("POST", "/v1/client/sign_ins")
        .form(&[("identifier", "user@example.com"), ("password", "hunter2"), ("strategy", "password")])
        .assert_valid(&t, "POST", "/v1/client/sign_ins");
}

#[test]
fn email_code_attempt_is_valid() {
    let t = table();
    Request::native("POST", "/v1/client/sign_ins/sia_1/attempt_first_factor")
        .form(&[("strategy", "email_code"), ("code", "1")])
        .assert_valid(&t, "POST", "/v1/client/sign_ins/{sign_in_id}/attempt_first_factor");
}

#[test]
fn prepare_first_factor_from_appendix_b_is_valid() {
    let t = table();
    Request::native("POST", "/v1/client/sign_ins/sia_1/prepare_first_factor")
        .form(&[("strategy", "email_code"), ("email_address_id", "idn_1")])
        .assert_valid(&t, "POST", "/v1/client/sign_ins/{sign_in_id}/prepare_first_factor");
}

#[test]
fn client_fetch_with_version_and_native_flag_is_valid() {
    let t = table();
    Request::bare("GET", "/v1/client")
        .query(&[("__clerk_api_version", "2026-05-12"), ("_is_native", "1")])
        .assert_valid(&t, "GET", "/v1/client");
    // The same with every native header.
    Request::native("GET", "/v1/client").assert_valid(&t, "GET", "/v1/client");
}

#[test]
fn environment_fetch_is_valid() {
    let t = table();
    Request::native("GET", "/v1/environment").assert_valid(&t, "GET", "/v1/environment");
}

#[test]
fn session_token_with_organization_is_valid() {
    let t = table();
    Request::native("POST", "/v1/client/sessions/sess_1/tokens").form(&[("organization_id", "org_2")]).assert_valid(
        &t,
        "POST",
        "/v1/client/sessions/{session_id}/tokens",
    );
    // Empty = personal account (fapi.md §10.4).
    Request::native("POST", "/v1/client/sessions/sess_1/tokens").form(&[("organization_id", "")]).assert_valid(
        &t,
        "POST",
        "/v1/client/sessions/{session_id}/tokens",
    );
    // Retry after 422 missing_expired_token, and skip-cache.
    Request::native("POST", "/v1/client/sessions/sess_1/tokens")
        .query(&[("expired_token", "eyJ.old.jwt"), ("debug", "skip_cache")])
        .form(&[("organization_id", "")])
        .assert_valid(&t, "POST", "/v1/client/sessions/{session_id}/tokens");
}

#[test]
fn template_token_with_encoded_name_is_valid() {
    let t = table();
    Request::native("POST", "/v1/client/sessions/sess_1/tokens/my%20template").assert_valid(
        &t,
        "POST",
        "/v1/client/sessions/{session_id}/tokens/{template_name}",
    );
}

#[test]
fn sign_in_reload_with_rotating_token_nonce_is_valid() {
    let t = table();
    Request::native("GET", "/v1/client/sign_ins/sia_1").query(&[("rotating_token_nonce", "x")]).assert_valid(
        &t,
        "GET",
        "/v1/client/sign_ins/{sign_in_id}",
    );
}

#[test]
fn sign_in_with_sign_up_if_missing_is_valid() {
    let t = table();
    Request::native("POST", "/v1/client/sign_ins")
        .form(&[("identifier", "user@example.com"), ("sign_up_if_missing", "true")])
        .assert_valid(&t, "POST", "/v1/client/sign_ins");
}

#[test]
fn touch_from_set_active_is_valid() {
    let t = table();
    Request::native("POST", "/v1/client/sessions/sess_1/touch")
        .form(&[("active_organization_id", ""), ("intent", "select_session")])
        .assert_valid(&t, "POST", "/v1/client/sessions/{session_id}/touch");
}

#[test]
fn sign_out_of_all_sessions_real_and_tunnelled_is_valid() {
    let t = table();
    Request::native("DELETE", "/v1/client/sessions").assert_valid(&t, "DELETE", "/v1/client/sessions");
    Request::native("POST", "/v1/client/sessions").query(&[("_method", "DELETE")]).assert_valid(
        &t,
        "DELETE",
        "/v1/client/sessions",
    );
}

#[test]
fn browser_sign_up_update_from_appendix_b2_is_valid() {
    let t = table();
    Request::bare("POST", "/v1/client/sign_ups/sua_1")
        .query(&[
            ("__clerk_api_version", "2026-05-12"),
            ("_clerk_js_version", "6.29.3"),
            ("_method", "PATCH"),
            ("__clerk_db_jwt", "dvb_1"),
        ])
        .header(&[("Content-Type", "application/x-www-form-urlencoded")])
        .form(&[("first_name", "Ada"), ("unsafe_metadata", r#"{"plan":"pro"}"#), ("legal_accepted", "true")])
        .assert_valid(&t, "PATCH", "/v1/client/sign_ups/{sign_up_id}");
}

#[test]
fn tunnelled_environment_touch_needs_its_origin_header() {
    let t = table();
    let request = Request::bare("POST", "/v1/environment").query(&[("_method", "patch")]);
    assert_eq!(request.violations(&t), vec![Violation::MissingRequiredHeader { name: name("Origin") }]);
    request.header(&[("origin", "http://localhost:3000")]).assert_valid(&t, "PATCH", "/v1/environment");
}

#[test]
fn security_scheme_parameters_are_documented_where_the_operation_accepts_them() {
    let t = table();
    // DevBrowser (query `__dev_session`) on GET /v1/client.
    Request::bare("GET", "/v1/client").query(&[("__dev_session", "dvb_1")]).assert_valid(&t, "GET", "/v1/client");
    // ProductionBrowser (cookie `__client`) where the global security applies.
    Request::bare("GET", "/v1/client/sessions/sess_1").header(&[("Cookie", "__client=abc")]).assert_valid(
        &t,
        "GET",
        "/v1/client/sessions/{session_id}",
    );
    // GET /v1/client overrides the global security with "none or DevBrowser": the spec does
    // not document the cookie there.
    assert_eq!(
        Request::bare("GET", "/v1/client").header(&[("Cookie", "__client=abc")]).violations(&t),
        vec![Violation::UnknownHeader { name: name("cookie") }]
    );
    // POST /v1/client/sign_ins documents no credentials at all (`security: [{}]`).
    assert_eq!(
        Request::bare("POST", "/v1/client/sign_ins").query(&[("__dev_session", "dvb_1")]).violations(&t),
        vec![Violation::UnknownQueryParameter { name: name("__dev_session") }]
    );
}

#[test]
fn repeated_array_query_values_are_each_checked() {
    let t = table();
    let path = "/v1/me/enterprise_connections/ec_1/test_runs";
    let template = "/v1/me/enterprise_connections/{enterprise_connection_id}/test_runs";
    Request::native("GET", path)
        .query(&[("status", "pending"), ("status", "failed")])
        .assert_valid(&t, "GET", template);
    assert_eq!(
        Request::native("GET", path).query(&[("status", "pending"), ("status", "lost")]).violations(&t),
        vec![Violation::ValueNotInEnum {
            name: name("status"),
            value: name("lost"),
            allowed: vec![name("pending"), name("success"), name("failed")],
        }]
    );
}

// ------------------------------------------------------------------------------------------
// Violations

#[test]
fn undocumented_body_parameter_is_caught() {
    let t = table();
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ins")
            .form(&[("identifier", "user@example.com"), ("favourite_colour", "blue")])
            .violations(&t),
        vec![Violation::UnknownBodyParameter { name: name("favourite_colour") }]
    );
}

#[test]
fn undocumented_query_parameter_is_caught() {
    let t = table();
    assert_eq!(
        Request::native("GET", "/v1/client").query(&[("utm_source", "newsletter")]).violations(&t),
        vec![Violation::UnknownQueryParameter { name: name("utm_source") }]
    );
}

#[test]
fn per_operation_extras_do_not_leak_to_other_operations() {
    let t = table();
    assert_eq!(
        Request::native("GET", "/v1/client/sessions/sess_1").query(&[("rotating_token_nonce", "x")]).violations(&t),
        vec![Violation::UnknownQueryParameter { name: name("rotating_token_nonce") }]
    );
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ups").form(&[("sign_up_if_missing", "true")]).violations(&t),
        vec![Violation::UnknownBodyParameter { name: name("sign_up_if_missing") }]
    );
}

#[test]
fn unknown_paths_and_methods_are_caught() {
    let t = table();
    assert_eq!(
        Request::native("GET", "/v1/client/sign_inz").violations(&t),
        vec![Violation::UnknownOperation { method: name("GET"), path: name("/v1/client/sign_inz") }]
    );
    // Path known, method not.
    assert_eq!(
        Request::native("GET", "/v1/client/sign_ins").violations(&t),
        vec![Violation::UnknownOperation { method: name("GET"), path: name("/v1/client/sign_ins") }]
    );
    // The spec lists this path with no operation (fapi.md §3.3.7).
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ins/sia_1/protect_check")
            .query(&[("_method", "PATCH")])
            .form(&[("proof_token", "p")])
            .violations(&t),
        vec![Violation::UnknownOperation {
            method: name("PATCH"),
            path: name("/v1/client/sign_ins/sia_1/protect_check"),
        }]
    );
    // An empty id segment matches no parameter.
    assert!(matches!(
        Request::native("GET", "/v1/client/sign_ins/").violations(&t).as_slice(),
        [Violation::UnknownOperation { .. }]
    ));
    // Not percent-encoded.
    assert!(matches!(
        Request::native("GET", "/v1/client/sign_ins/sia 1").violations(&t).as_slice(),
        [Violation::UnknownOperation { .. }]
    ));
}

#[test]
fn values_outside_a_documented_enum_are_caught() {
    let t = table();
    assert_eq!(
        Request::native("POST", "/v1/client/sessions/sess_1/touch").form(&[("intent", "wander")]).violations(&t),
        vec![Violation::ValueNotInEnum {
            name: name("intent"),
            value: name("wander"),
            allowed: vec![name("focus"), name("select_session"), name("select_org")],
        }]
    );
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ins/sia_1/attempt_second_factor")
            .form(&[("strategy", "email_link"), ("code", "123456")])
            .violations(&t),
        vec![Violation::ValueNotInEnum {
            name: name("strategy"),
            value: name("email_link"),
            allowed: vec![name("email_code"), name("phone_code"), name("totp"), name("backup_code"),],
        }]
    );
    assert!(matches!(
        Request::native("POST", "/v1/client/sessions/sess_1/verify")
            .form(&[("level", "third_factor")])
            .violations(&t)
            .as_slice(),
        [Violation::ValueNotInEnum { name, .. }] if name == "level"
    ));
}

#[test]
fn empty_value_is_null_only_where_the_schema_is_nullable() {
    let t = table();
    // `intent` is a nullable enum: empty is null.
    Request::native("POST", "/v1/client/sessions/sess_1/touch").form(&[("intent", "")]).assert_valid(
        &t,
        "POST",
        "/v1/client/sessions/{session_id}/touch",
    );
    // `level` is a required, non-nullable enum.
    assert!(matches!(
        Request::native("POST", "/v1/client/sessions/sess_1/verify").form(&[("level", "")]).violations(&t).as_slice(),
        [Violation::ValueNotInEnum { .. }]
    ));
}

#[test]
fn missing_required_parameters_are_caught() {
    let t = table();
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ins/sia_1/attempt_first_factor")
            .form(&[("code", "424242")])
            .violations(&t),
        vec![Violation::MissingRequiredBodyParameter { name: name("strategy") }]
    );
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ins/sia_1/reset_password")
            .form(&[("sign_out_of_other_sessions", "true")])
            .violations(&t),
        vec![Violation::MissingRequiredBodyParameter { name: name("password") }]
    );
}

#[test]
fn unknown_headers_are_caught() {
    let t = table();
    assert_eq!(
        Request::native("GET", "/v1/client").header(&[("X-Expo-SDK-Version", "52.0.0")]).violations(&t),
        vec![Violation::UnknownHeader { name: name("x-expo-sdk-version") }]
    );
    // `Origin` is documented on sign-in creation, not on GET /v1/client.
    Request::native("POST", "/v1/client/sign_ins").header(&[("Origin", "https://example.com")]).assert_valid(
        &t,
        "POST",
        "/v1/client/sign_ins",
    );
    assert_eq!(
        Request::native("GET", "/v1/client").header(&[("Origin", "https://example.com")]).violations(&t),
        vec![Violation::UnknownHeader { name: name("origin") }]
    );
}

#[test]
fn body_on_get_is_caught() {
    let t = table();
    assert_eq!(
        Request::native("GET", "/v1/client").form(&[("strategy", "password")]).violations(&t),
        vec![Violation::BodyOnGet]
    );
}

#[test]
fn ill_typed_and_repeated_values_are_caught() {
    let t = table();
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ins").form(&[("transfer", "yes")]).violations(&t),
        vec![Violation::ValueNotOfType {
            name: name("transfer"),
            value: name("yes"),
            expected: ParameterType::Boolean,
        }]
    );
    assert_eq!(
        Request::native("POST", "/v1/client/sign_ins")
            .form(&[("strategy", "password"), ("strategy", "email_code")])
            .violations(&t),
        vec![Violation::RepeatedBodyParameter { name: name("strategy") }]
    );
    assert_eq!(
        Request::native("GET", "/v1/client").query(&[("_is_native", "true")]).violations(&t),
        vec![Violation::RepeatedQueryParameter { name: name("_is_native") }]
    );
}

#[test]
fn method_tunnelling_is_checked() {
    let t = table();
    assert_eq!(
        Request::native("POST", "/v1/client/sessions").query(&[("_method", "GET")]).violations(&t),
        vec![
            Violation::ValueNotInEnum {
                name: name("_method"),
                value: name("GET"),
                allowed: vec![name("PUT"), name("PATCH"), name("DELETE")],
            },
            Violation::UnknownOperation { method: name("POST"), path: name("/v1/client/sessions") },
        ]
    );
    assert_eq!(
        Request::native("GET", "/v1/client").query(&[("_method", "DELETE")]).violations(&t),
        vec![Violation::MethodOverrideNotOnPost { method: name("GET") }]
    );
    // A tunnelled DELETE takes no body.
    assert_eq!(
        Request::native("POST", "/v1/client").query(&[("_method", "DELETE")]).form(&[("reason", "bye")]).violations(&t),
        vec![Violation::UnknownBodyParameter { name: name("reason") }]
    );
}

#[test]
fn every_violation_names_its_parameter() {
    let cases = [
        (Violation::UnknownQueryParameter { name: name("q_name") }, "q_name"),
        (Violation::UnknownBodyParameter { name: name("b_name") }, "b_name"),
        (Violation::MissingRequiredBodyParameter { name: name("rb") }, "rb"),
        (Violation::MissingRequiredQueryParameter { name: name("rq") }, "rq"),
        (Violation::MissingRequiredHeader { name: name("Origin") }, "Origin"),
        (
            Violation::ValueNotInEnum { name: name("intent"), value: name("wander"), allowed: vec![name("focus")] },
            "intent",
        ),
        (
            Violation::ValueNotOfType { name: name("transfer"), value: name("yes"), expected: ParameterType::Boolean },
            "transfer",
        ),
        (Violation::RepeatedQueryParameter { name: name("rep_q") }, "rep_q"),
        (Violation::RepeatedBodyParameter { name: name("rep_b") }, "rep_b"),
        (Violation::UnknownHeader { name: name("x-odd") }, "x-odd"),
        (Violation::UnknownOperation { method: name("GET"), path: name("/v1/nowhere") }, "/v1/nowhere"),
        (Violation::MethodOverrideNotOnPost { method: name("GET") }, "_method"),
        (Violation::BodyOnGet, "GET"),
    ];
    for (violation, needle) in cases {
        let text = violation.to_string();
        assert!(text.contains(needle), "`{text}` does not name `{needle}`");
    }
}

// ------------------------------------------------------------------------------------------
// The table as a whole

#[test]
fn every_operation_accepts_a_request_built_from_its_own_documentation() {
    let t = table();
    for op in t.operations() {
        let path = op
            .path
            .split('/')
            .map(|segment| match (segment.find('{'), segment.find('}')) {
                (Some(open), Some(close)) => {
                    format!("{}x1{}", &segment[..open], &segment[close + 1..])
                }
                _ => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let sample = |p: &clerk_spec::Parameter| {
            let kind = if p.kind == ParameterType::Array { p.items.unwrap_or(ParameterType::String) } else { p.kind };
            let value = p.allowed.first().cloned().unwrap_or_else(|| match kind {
                ParameterType::Boolean => name("true"),
                ParameterType::Integer | ParameterType::Number => name("1"),
                _ => name("v"),
            });
            (p.name.clone(), value)
        };
        let query: Vec<_> = op.query.iter().filter(|p| p.required).map(sample).collect();
        let headers: Vec<_> = op.headers.iter().filter(|p| p.required).map(sample).collect();
        let form: Vec<_> = op.body.iter().filter(|p| p.required).map(sample).collect();
        let request = RequestShape { method: &op.method, path: &path, query: &query, headers: &headers, form: &form };
        match t.validate(&request) {
            Ok(found) => assert_eq!(found, op, "{path} matched another operation"),
            Err(v) => panic!("{} {} ({path}): {v:?}", op.method, op.path),
        }
    }
}

#[test]
fn table_covers_the_whole_spec_in_a_stable_order() {
    let t = table();
    let ops = t.operations();
    assert!(ops.len() >= 200, "only {} operations", ops.len());
    let keys: Vec<_> = ops.iter().map(|o| (o.path.as_str(), o.method.as_str())).collect();
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "duplicate operations");
    assert!(ops.windows(2).all(|w| w[0].path <= w[1].path), "not ordered by path");
    assert_eq!(t.source().spec, "openapi-2026-05-12.yml");
    // Operations outside /v1 are part of the spec too.
    assert!(t.operation("GET", "/.well-known/jwks.json").is_some());
    assert!(t.operation("get", "/v1/saml/metadata/samlc_1.xml").is_some());
    // Response codes a client relies on.
    let token = t.operation("POST", "/v1/client/sessions/sess_1/tokens").expect("tokens operation");
    assert!(token.documents_status(200) && token.documents_status(401));
}

#[test]
fn literal_segments_win_over_parameters() {
    let json = r#"{
      "source": {"spec": "s", "openapi": "3.0.3", "info_version": "v1", "undocumented": "u"},
      "security_schemes": [],
      "undocumented": {"query_on_every_operation": [], "headers": []},
      "operations": [
        {"method": "GET", "path": "/v1/me/sessions/{session_id}", "path_parameters": ["session_id"],
         "security": [], "responses": [200]},
        {"method": "GET", "path": "/v1/me/sessions/active", "security": [], "responses": [200]},
        {"method": "GET", "path": "/v1/{a}/x", "path_parameters": ["a"], "security": [], "responses": [200]},
        {"method": "GET", "path": "/v1/me/{b}", "path_parameters": ["b"], "security": [], "responses": [200]}
      ]
    }"#;
    let t = SpecTable::from_json(json).expect("hand-written table loads");
    let path_of = |p: &str| t.operation("GET", p).map(|o| o.path.clone());
    assert_eq!(path_of("/v1/me/sessions/active").as_deref(), Some("/v1/me/sessions/active"));
    assert_eq!(path_of("/v1/me/sessions/sess_1").as_deref(), Some("/v1/me/sessions/{session_id}"));
    // Decided from the left: `me` (literal) beats `{a}` even though `x` is literal on the right.
    assert_eq!(path_of("/v1/me/x").as_deref(), Some("/v1/me/{b}"));
    assert_eq!(path_of("/v1/you/x").as_deref(), Some("/v1/{a}/x"));
    assert_eq!(path_of("/v1/me/sessions/active/more"), None);
}

#[test]
fn a_broken_table_is_an_error_not_a_panic() {
    assert!(SpecTable::from_json("{}").is_err());
    let bad_template = r#"{
      "source": {"spec": "s", "openapi": "3.0.3", "info_version": "v1", "undocumented": "u"},
      "security_schemes": [],
      "undocumented": {"query_on_every_operation": [], "headers": []},
      "operations": [{"method": "GET", "path": "/v1/{a", "security": [], "responses": []}]
    }"#;
    assert!(matches!(SpecTable::from_json(bad_template), Err(clerk_spec::TableError::PathTemplate { .. })));
}
