//! `clerk-mock --port N`: runs the mock Frontend API until interrupted, with a demo user.

use clerk_mock::{MockServer, Totp, UserSpec};

/// The demo user's TOTP secret (base32).
const DEMO_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// The demo user's backup codes (each works once per mock run).
const DEMO_BACKUP_CODES: [&str; 3] = ["demo-backup-1", "demo-backup-2", "demo-backup-3"];

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
            .mfa_totp(Totp::Secret(DEMO_TOTP_SECRET.to_owned()))
            .mfa_backup_codes(&DEMO_BACKUP_CODES),
    );
    let base = mock.base_url();
    println!("clerk-mock listening on {base}");
    println!("publishable key: {}", mock.publishable_key());
    println!("demo user: demo+clerk_test@example.com / demo-password-42");
    println!(
        "  second factor: TOTP (secret {DEMO_TOTP_SECRET}; the code now: curl '{base}/__mock/totp?email=demo%2Bclerk_test%40example.com')"
    );
    println!("  or a backup code: {}", DEMO_BACKUP_CODES.join(", "));
    println!("+clerk_test emails and +1 555 555 01xx phones accept the code 424242; for others:");
    println!("  the latest code sent: curl '{base}/__mock/codes?to=ADDRESS'   (URL-encode + and @)");
    println!("  open an email link:   curl --data-urlencode 'email=ADDRESS' {base}/__mock/email_links/click");
    println!("press Ctrl-C to stop");
    loop {
        std::thread::park();
    }
}

fn exit_with_usage(problem: &str) -> ! {
    eprintln!("clerk-mock: {problem}\nusage: clerk-mock [--port N]");
    std::process::exit(2);
}
