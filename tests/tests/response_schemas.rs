//! Answers against the response schemas of Clerk's published spec (`clerk_spec::responses`):
//! the recordings of the real server depart from the spec only where
//! `clerk_tests::response_schemas::SPEC_DEVIATIONS` says, and every departure listed as
//! recorded is seen in them. (The mock's answers are checked after every scenario of
//! `tests/drivers.rs`.)
#![allow(clippy::expect_used, clippy::panic)]

use clerk_tests::response_schemas::{self, Evidence, Findings, SPEC_DEVIATIONS};
use clerk_tests::{RECORDED_FILE_COUNT, recorded_flows, shared_dir};

fn recorded_findings() -> Option<(Findings, usize)> {
    let shared = shared_dir()?;
    let schemas = response_schemas::schemas(&shared);
    let mut findings = Findings::default();
    let mut checked = 0;
    for (_, exchanges) in recorded_flows() {
        for exchange in exchanges {
            // `HEAD /v1/health` has no body and no operation in the spec.
            if exchange.method == "HEAD" {
                continue;
            }
            let body: serde_json::Value = serde_json::from_slice(&exchange.body)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", exchange.file_name()));
            let violations =
                response_schemas::answer_violations(schemas, &exchange.method, &exchange.path, 200, Some(&body));
            findings.add(&exchange.file_name(), violations);
            checked += 1;
        }
    }
    Some((findings, checked))
}

#[test]
fn recorded_answers_depart_from_the_spec_only_where_listed() {
    let Some((findings, checked)) = recorded_findings() else { return };
    assert_eq!(checked, RECORDED_FILE_COUNT - 1, "every recorded answer but the health check's body-less one");
    let unlisted = findings.unlisted();
    assert!(
        unlisted.is_empty(),
        "recorded answers depart from the spec where nothing says so:\n{}",
        unlisted.join("\n")
    );
}

#[test]
fn every_departure_listed_as_recorded_is_in_the_recordings() {
    let Some((findings, _)) = recorded_findings() else { return };
    for deviation in SPEC_DEVIATIONS {
        match deviation.evidence {
            Evidence::Recorded => assert!(
                findings.by_key.contains_key(deviation.key),
                "listed as recorded, but no recording shows it: {}",
                deviation.key
            ),
            Evidence::Like(other) => assert!(
                SPEC_DEVIATIONS.iter().any(|d| d.key == other && d.evidence == Evidence::Recorded),
                "{} is like {other}, which is not a recorded entry",
                deviation.key
            ),
            Evidence::Fapi(section) => assert!(section.starts_with('§'), "{}: cite a fapi.md section", deviation.key),
        }
    }
    let mut keys: Vec<&str> = SPEC_DEVIATIONS.iter().map(|d| d.key).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), SPEC_DEVIATIONS.len(), "an entry is listed twice");
}

#[test]
fn a_departure_nothing_lists_is_reported_with_where_it_is() {
    let Some(shared) = shared_dir() else { return };
    let schemas = response_schemas::schemas(&shared);
    // A sign-in whose status is not one the spec lists, and a session without an id.
    let body = serde_json::json!({
        "response": { "object": "client", "id": "client_1", "sessions": [ { "object": "session", "status": "active" } ],
            "sign_in": null, "sign_up": null, "last_active_session_id": null, "created_at": 1, "updated_at": 1 },
        "client": null,
    });
    let mut findings = Findings::default();
    findings.add("hand-made", response_schemas::answer_violations(schemas, "GET", "/v1/client", 200, Some(&body)));
    let unlisted = findings.unlisted();
    assert!(
        unlisted.iter().any(|line| line.contains("missing id") && line.contains("/response/sessions/0")),
        "{unlisted:#?}"
    );
    // An undocumented status on a documented operation.
    let violations = response_schemas::answer_violations(schemas, "GET", "/v1/client", 418, None);
    assert_eq!(violations.iter().map(|v| v.key()).collect::<Vec<_>>(), ["GET /v1/client: undocumented status 418"]);
}
