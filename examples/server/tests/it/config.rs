//! Configuration: layers (file < environment < flags), and every bad setting refused with a
//! message naming it.

use crate::common::*;
use portico_server::config::{Database, SETTINGS, decode_secret, parse_duration};
use portico_server::{Config, ConfigError, HostDataSource, Layers, LogFormat};

fn production_base() -> Layers {
    let mut l = Layers::new();
    l.set("host_data_source", "demo", "test").unwrap();
    l.set("csrf_secret", SECRET_HEX, "test").unwrap();
    l
}

#[test]
fn defaults_are_the_embedded_single_node_setup() {
    let c = production_base().resolve(false).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database().unwrap(), Database::Sqlite);
    assert_eq!(c.smtp_url, None);
    assert_eq!(c.log_format, LogFormat::Pretty);
    assert_eq!(c.public_base_url_for(c.listen), "http://127.0.0.1:8080");
    assert!(!c.secure_cookies_for("http://127.0.0.1:8080"));
    assert!(c.secure_cookies_for("https://portal.example"));
    assert!(c.rate_limits);
}

#[test]
fn every_bad_setting_is_refused_naming_it() {
    let cases: &[(&str, &str)] = &[
        ("listen", "not-an-address"),
        ("database_url", "mysql://db/portico"),
        ("smtp_url", "ftp://mail.example"),
        ("smtp_sender", "nobody"),
        ("public_base_url", "ftp://portal.example"),
        ("session_idle_timeout", "5 parsecs"),
        ("session_absolute_lifetime", "1m"),
        ("invitation_lifetime", "30d"),
        ("reset_lifetime", "0"),
        ("code_lifetime", "2h"),
        ("argon2_memory_kib", "4"),
        ("argon2_iterations", "99"),
        ("argon2_parallelism", "0"),
        ("host_data_source", "ftp"),
        ("host_data_auth_header", "no colon here"),
        ("host_data_allow_plain_http", "maybe"),
        ("csrf_secret", "too-short-to-be-a-secret"),
        ("csrf_secret_file", "/nonexistent/portico-secret"),
        ("log_format", "xml"),
        ("trusted_proxies", "-1"),
        ("secure_cookies", "perhaps"),
        ("rate_limits", "sometimes"),
        ("shutdown_grace", "1h"),
    ];
    for (name, bad) in cases {
        let mut l = production_base();
        if name.starts_with("host_data_") && *name != "host_data_source" {
            l.set("host_data_source", "http", "test").unwrap();
            l.set("host_data_url", "https://crm.example", "test")
                .unwrap();
        }
        if *name == "csrf_secret_file" {
            // The value only counts when no secret is given inline.
            l = Layers::new();
            l.set("host_data_source", "demo", "test").unwrap();
        }
        l.set(name, bad, "PORTICO_TEST").unwrap();
        let e = l.resolve(false).expect_err(name);
        assert_eq!(e.setting(), Some(*name), "{name}: {e}");
        let msg = e.to_string();
        assert!(msg.contains(name), "{name}: {msg}");
        assert!(msg.contains("PORTICO_TEST"), "the origin is named: {msg}");
    }
    // Every setting of the table was tried (host_data_url is below).
    for s in SETTINGS {
        assert!(
            s.name == "host_data_url" || cases.iter().any(|(n, _)| *n == s.name),
            "{} has no bad-value case",
            s.name
        );
    }
}

#[test]
fn a_plain_http_crm_needs_the_explicit_setting() {
    let mut l = production_base();
    l.set("host_data_source", "http", "test").unwrap();
    let e = l.resolve(false).unwrap_err();
    assert_eq!(e.setting(), Some("host_data_url"), "{e}");
    l.set("host_data_url", "http://127.0.0.1:9000/portico", "file")
        .unwrap();
    let e = l.resolve(false).unwrap_err();
    assert_eq!(e.setting(), Some("host_data_url"), "{e}");
    l.set("host_data_allow_plain_http", "true", "file").unwrap();
    l.set(
        "host_data_auth_header",
        "Authorization: Bearer s3cret",
        "file",
    )
    .unwrap();
    let c = l.resolve(false).unwrap();
    match &c.host_data {
        HostDataSource::Http {
            url,
            auth_header,
            allow_plain_http,
        } => {
            assert_eq!(url, "http://127.0.0.1:9000/portico");
            assert_eq!(
                auth_header,
                &Some(("Authorization".into(), "Bearer s3cret".into()))
            );
            assert!(allow_plain_http);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !format!("{c:?}").contains("s3cret"),
        "Debug redacts the CRM's secret"
    );
}

#[test]
fn a_secret_is_never_repeated_in_an_error_or_debug() {
    let mut l = production_base();
    l.set("csrf_secret", "abcdef0123456789", "PORTICO_CSRF_SECRET")
        .unwrap();
    let e = l.resolve(false).unwrap_err();
    assert!(!e.to_string().contains("abcdef0123456789"), "{e}");
    let c = production_base().resolve(false).unwrap();
    assert!(!format!("{c:?}").contains("8f1c2d3e"));
}

#[test]
fn production_requires_a_csrf_secret_and_a_host_data_source() {
    let mut l = Layers::new();
    l.set("host_data_source", "demo", "test").unwrap();
    let e = l.resolve(false).unwrap_err();
    assert!(
        matches!(
            e,
            ConfigError::Missing {
                setting: "csrf_secret",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("csrf_secret"));

    let mut l = Layers::new();
    l.set("csrf_secret", SECRET_HEX, "test").unwrap();
    let e = l.resolve(false).unwrap_err();
    assert_eq!(e.setting(), Some("host_data_source"), "{e}");

    // Demo mode needs neither; create-agency needs neither.
    let c = Layers::new().resolve(true).unwrap();
    assert!(c.demo && c.csrf_secret.is_none());
    assert_eq!(c.host_data, HostDataSource::Demo);
    assert!(Layers::new().resolve_admin().is_ok());
}

#[test]
fn file_then_environment_then_flags() {
    let dir = std::env::temp_dir().join(format!("portico-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("portico.toml");
    std::fs::write(
        &file,
        format!(
            r#"
listen = "127.0.0.1:1111"
public_base_url = "https://portal.example/"
csrf_secret = "{SECRET_HEX}"
log_format = "json"

[database]
url = "postgres://portico@db.example:5432/portico"

[argon2]
memory_kib = 32768
iterations = 3
parallelism = 2

[host_data]
source = "demo"

[session]
idle_timeout = "15m"
absolute_lifetime = "8h"
"#
        ),
    )
    .unwrap();
    let mut l = Layers::new();
    l.add_file(&file).unwrap();
    let c = l.resolve(false).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:1111");
    assert_eq!(c.database().unwrap(), Database::Postgres);
    assert_eq!(c.public_base_url.as_deref(), Some("https://portal.example"));
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(
        (
            c.argon2.memory_kib,
            c.argon2.iterations,
            c.argon2.parallelism
        ),
        (32768, 3, 2)
    );
    assert_eq!(c.session_idle_timeout, time::Duration::minutes(15));
    assert_eq!(c.session_absolute_lifetime, time::Duration::hours(8));

    // The environment beats the file; unrelated PORTICO_ variables are ignored.
    l.add_env([
        ("PORTICO_LISTEN".to_string(), "127.0.0.1:2222".to_string()),
        (
            "PORTICO_TEST_POSTGRES_URL".to_string(),
            "postgres://x@y/z".to_string(),
        ),
        ("HOME".to_string(), "/root".to_string()),
    ]);
    assert_eq!(
        l.resolve(false).unwrap().listen.to_string(),
        "127.0.0.1:2222"
    );
    // A flag beats both.
    l.set("listen", "127.0.0.1:3333", "--listen").unwrap();
    assert_eq!(
        l.resolve(false).unwrap().listen.to_string(),
        "127.0.0.1:3333"
    );
    // The environment's bad value is named with the variable.
    l.add_env([("PORTICO_ARGON2_ITERATIONS".to_string(), "lots".to_string())]);
    let e = l.resolve(false).unwrap_err();
    assert!(
        e.to_string().contains("argon2_iterations")
            && e.to_string().contains("PORTICO_ARGON2_ITERATIONS"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unknown_settings_and_broken_files_are_refused() {
    let mut l = Layers::new();
    let e = l
        .add_toml("databse_url = \"sqlite://x.db\"", "portico.toml")
        .unwrap_err();
    assert!(
        matches!(&e, ConfigError::Unknown { setting, .. } if setting == "databse_url"),
        "{e}"
    );
    assert!(e.to_string().contains("databse_url") && e.to_string().contains("portico.toml"));
    let e = l.add_toml("listen = ", "portico.toml").unwrap_err();
    assert!(matches!(e, ConfigError::Toml { .. }), "{e}");
    let e = l.add_toml("listen = [1, 2]", "portico.toml").unwrap_err();
    assert_eq!(e.setting(), Some("listen"), "{e}");
    let e = l
        .add_file(std::path::Path::new("/nonexistent/portico.toml"))
        .unwrap_err();
    assert!(matches!(e, ConfigError::File { .. }), "{e}");
    assert!(l.set("no_such_setting", "1", "--set").is_err());
}

#[test]
fn a_configuration_built_in_code_is_checked_too() {
    let mut c = test_config(false);
    assert!(c.validate().is_ok());
    c.argon2.memory_kib = 1;
    assert_eq!(
        c.validate().unwrap_err().setting(),
        Some("argon2_memory_kib")
    );
    let mut c = test_config(false);
    c.database_url = "oracle://db".into();
    assert_eq!(c.validate().unwrap_err().setting(), Some("database_url"));
    let mut c = test_config(false);
    c.session_idle_timeout = time::Duration::hours(20);
    assert_eq!(
        c.validate().unwrap_err().setting(),
        Some("session_absolute_lifetime"),
        "absolute lifetime shorter than the idle timeout"
    );
}

#[test]
fn durations_and_secrets_parse() {
    assert_eq!(parse_duration("90").unwrap(), time::Duration::seconds(90));
    assert_eq!(parse_duration("90s").unwrap(), time::Duration::seconds(90));
    assert_eq!(parse_duration("30m").unwrap(), time::Duration::minutes(30));
    assert_eq!(parse_duration("12h").unwrap(), time::Duration::hours(12));
    assert_eq!(parse_duration("14d").unwrap(), time::Duration::days(14));
    for bad in ["", "m", "3w", "-5m", "1.5h", "99999999999999999999d"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
    let hex = decode_secret(SECRET_HEX).unwrap();
    assert_eq!(hex.len(), 32);
    use base64ct::Encoding;
    let b64 = base64ct::Base64::encode_string(&hex);
    assert_eq!(decode_secret(&b64).unwrap(), hex);
    assert_eq!(
        decode_secret(&base64ct::Base64UrlUnpadded::encode_string(&hex)).unwrap(),
        hex
    );
    assert!(decode_secret(&SECRET_HEX[..62]).is_err(), "31 bytes");
    assert!(decode_secret("not a secret at all!").is_err());
}

#[tokio::test]
async fn demo_mode_generates_its_csrf_secret_once_next_to_the_database() {
    let dir = std::env::temp_dir().join(format!("portico-demo-secret-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("portico.db");
    let config = Config {
        csrf_secret: None,
        database_url: format!("sqlite://{}", db.display()),
        ..test_config(true)
    };
    let first = portico_server::server::csrf_secret(&config).await.unwrap();
    let file = dir.join("portico-csrf.key");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(decode_secret(&text).unwrap(), first.0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner reads the secret");
    }
    let second = portico_server::server::csrf_secret(&config).await.unwrap();
    assert_eq!(first, second, "read back on the next start");
    // A damaged file stops the start, naming it.
    std::fs::write(&file, "garbage").unwrap();
    let e = portico_server::server::csrf_secret(&config)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("csrf_secret_file"), "{e}");
    // Production never generates one.
    let prod = Config {
        demo: false,
        ..config
    };
    let e = portico_server::server::csrf_secret(&prod)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("csrf_secret"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_deployment_guide_lists_every_setting() {
    let doc = include_str!("../../../../docs/DEPLOYMENT.md");
    for s in SETTINGS {
        assert!(
            doc.contains(&format!("| `{}` |", s.name)),
            "docs/DEPLOYMENT.md has no row for `{}`",
            s.name
        );
    }
}
