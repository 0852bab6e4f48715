//! `clerk-mock --port N`: runs the mock Frontend API until interrupted, with a demo user.

use clerk_mock::{MockServer, Totp, UserSpec};

/// The demo user's TOTP secret (base32).
const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

fn main() {
    let mut args = std::env::args().skip(1);
    let mut port: u16 = 0;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => exit_with_usage("--port needs a number"),
            },
            "--help" | "-h" => {
                println!("usage: clerk-mock [--port N]   (default 0: a free port)");
                return;
            }
            other => exit_with_usage(&format!("unknown argument {other}")),
        }
    }
    let mock = match MockServer::start_on_port(port) {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!("clerk-mock: cannot start: {error}");
            std::process::exit(1);
        }
    };
    mock.add_user(
        UserSpec::with_email("demo+clerk_test@example.com")
            .password("demo-password-42")
            .name("Demo", "User")
            .mfa_totp(Totp::Secret(DEMO_TOTP_SECRET.to_owned())),
    );
    println!("clerk-mock listening on {}", mock.base_url());
    println!("publishable key: {}", mock.publishable_key());
    println!("demo user: demo+clerk_test@example.com / demo-password-42 (TOTP secret {DEMO_TOTP_SECRET})");
    println!("press Ctrl-C to stop");
    loop {
        std::thread::park();
    }
}

fn exit_with_usage(problem: &str) -> ! {
    eprintln!("clerk-mock: {problem}\nusage: clerk-mock [--port N]");
    std::process::exit(2);
}
