//! Profiling aid (not run in CI): `GET /v1/client` against the in-process mock, through a
//! driver or through a plain client of the same HTTP library, for
//! `valgrind --tool=callgrind` (instructions per request: run `setup` too and subtract).
//!
//! ```text
//! profile_drivers MODE [REQUESTS]
//! ```
//!
//! * `MODE`: `plain-ureq`, `plain-ureq-decoding` (the plain ureq agent decoding each
//!   answer into clerk-core's wire types), `ureq` (clerk-ureq's `reload`), `plain-reqwest`, `reqwest`
//!   (clerk-reqwest's `reload`, called from a task on the runtime), `plain-reqwest-decoding`
//!   (the plain reqwest client decoding each answer into clerk-core's wire types),
//!   `plain-reqwest-handed-off` (the same, each request sent by another task through the
//!   driver's channels: the hand-off's own cost) or `setup` (start the
//!   mock and both drivers, send nothing more).
//! * `REQUESTS`: how many (default 500).

#[path = "../benches/common/loopback.rs"]
mod loopback;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let requests: usize = std::env::args().nth(2).and_then(|n| n.parse().ok()).unwrap_or(500);
    let mut loopback = loopback::Loopback::start();
    match mode.as_str() {
        "plain-ureq" => loopback.plain_ureq(requests),
        "plain-ureq-decoding" => loopback.plain_ureq_decoding(requests),
        "ureq" => loopback.driver_ureq(requests),
        "plain-reqwest" => loopback.plain_reqwest(requests),
        "reqwest" => loopback.driver_reqwest(requests),
        "plain-reqwest-decoding" => loopback.plain_reqwest_decoding(requests),
        "plain-reqwest-handed-off" => loopback.plain_reqwest_handed_off(requests),
        _ => {}
    }
}
