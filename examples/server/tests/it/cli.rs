//! The binary: a bad setting stops it with exit code 2 and a message naming the setting;
//! `check-config` accepts a good configuration without printing its secrets.

use crate::common::SECRET_HEX;
use std::process::Command;

fn portico() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portico"));
    c.env_clear();
    c
}

/// Environment, arguments, and the setting the error must name.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], &'a str);

#[test]
fn a_bad_setting_stops_the_binary_naming_it() {
    let cases: &[Case] = &[
        (
            &[("PORTICO_LOG_FORMAT", "xml")],
            &["check-config", "--demo"],
            "log_format",
        ),
        (
            &[],
            &["check-config", "--listen", "nowhere", "--demo"],
            "listen",
        ),
        (&[], &["check-config"], "host_data_source"),
        (
            &[("PORTICO_HOST_DATA_SOURCE", "demo")],
            &["check-config"],
            "csrf_secret",
        ),
        (
            &[],
            &["check-config", "--demo", "--set", "argon2_iterations=0"],
            "argon2_iterations",
        ),
        (
            &[],
            &["check-config", "--demo", "--set", "nonsense=1"],
            "nonsense",
        ),
        (
            &[],
            &["check-config", "--config", "/nonexistent/portico.toml"],
            "/nonexistent/portico.toml",
        ),
        (
            &[
                ("PORTICO_HOST_DATA_SOURCE", "demo"),
                ("PORTICO_CSRF_SECRET", "abcd"),
            ],
            &["serve"],
            "csrf_secret",
        ),
    ];
    for (env, args, setting) in cases {
        let out = portico()
            .envs(env.iter().copied())
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(setting),
            "{args:?} should name {setting}: {stderr}"
        );
    }
}

#[test]
fn check_config_accepts_a_good_configuration_quietly() {
    let out = portico()
        .env("PORTICO_HOST_DATA_SOURCE", "demo")
        .env("PORTICO_CSRF_SECRET", SECRET_HEX)
        .env(
            "PORTICO_SMTP_URL",
            "smtp://user:hunter2hunter2@mail.example:2525",
        )
        .args(["check-config"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("configuration OK"));
    assert!(
        !stdout.contains(SECRET_HEX) && !stdout.contains("hunter2"),
        "{stdout}"
    );
}
