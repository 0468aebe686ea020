//! The command line: `portico serve [--demo]`, `portico check-config`, `portico create-agency
//! --slug --name`.

use crate::config::{Config, ConfigError, Database, HostDataSource, Layers};
use crate::server::{self, ServerError, Started};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The standalone Portico server.
#[derive(Debug, Parser)]
#[command(
    name = "portico",
    version,
    about = "The standalone Portico client-portal server"
)]
pub struct Cli {
    /// Settings common to every command.
    #[command(flatten)]
    pub settings: SettingFlags,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that override the file and the environment.
#[derive(Debug, Args, Default)]
pub struct SettingFlags {
    /// A TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on (setting `listen`).
    #[arg(long, global = true, value_name = "ADDR")]
    pub listen: Option<String>,
    /// `sqlite://path` or `postgres://…` (setting `database_url`).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// SMTP server URL (setting `smtp_url`).
    #[arg(long, global = true, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Public base URL for links (setting `public_base_url`).
    #[arg(long, global = true, value_name = "URL")]
    pub public_base_url: Option<String>,
    /// `demo` or `http` (setting `host_data_source`).
    #[arg(long, global = true, value_name = "SOURCE")]
    pub host_data_source: Option<String>,
    /// The CRM's base URL (setting `host_data_url`).
    #[arg(long, global = true, value_name = "URL")]
    pub host_data_url: Option<String>,
    /// `pretty` or `json` (setting `log_format`).
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// Any setting, `name=value` (repeatable; see docs/DEPLOYMENT.md for the names).
    #[arg(long = "set", global = true, value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Demo mode: a seeded demo agency, demo data, a mailbox and a staff console under
        /// /demo (never in production).
        #[arg(long)]
        demo: bool,
    },
    /// Check the configuration and exit.
    CheckConfig {
        /// Check it as `serve --demo` would.
        #[arg(long)]
        demo: bool,
    },
    /// Create an agency and print its first admin API key (once).
    CreateAgency {
        /// URL name of the agency (`/p/{slug}/`).
        #[arg(long)]
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
}

impl SettingFlags {
    /// Layers: the file, then the environment (`vars`), then these flags.
    pub fn layers(
        &self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Layers, ConfigError> {
        let mut l = Layers::new();
        if let Some(path) = &self.config {
            l.add_file(path)?;
        }
        l.add_env(vars);
        let flags = [
            ("listen", &self.listen, "--listen"),
            ("database_url", &self.database_url, "--database-url"),
            ("smtp_url", &self.smtp_url, "--smtp-url"),
            (
                "public_base_url",
                &self.public_base_url,
                "--public-base-url",
            ),
            (
                "host_data_source",
                &self.host_data_source,
                "--host-data-source",
            ),
            ("host_data_url", &self.host_data_url, "--host-data-url"),
            ("log_format", &self.log_format, "--log-format"),
        ];
        for (name, value, flag) in flags {
            if let Some(v) = value {
                l.set(name, v, flag)?;
            }
        }
        for s in &self.set {
            let (name, value) = s.split_once('=').ok_or_else(|| ConfigError::Unknown {
                setting: s.clone(),
                origin: "--set (expected name=value)".into(),
            })?;
            l.set(name.trim(), value, "--set")?;
        }
        Ok(l)
    }
}

/// The text `serve` prints once it listens: where to go, and in demo mode the key and the
/// demo clients.
pub fn summary(config: &Config, started: &Started) -> String {
    use std::fmt::Write;
    let base = &started.public_base_url;
    let mut s = String::new();
    let db = match config.database() {
        Ok(Database::Sqlite) => format!("SQLite ({})", sqlite_path(&config.database_url)),
        Ok(Database::Postgres) => "PostgreSQL".to_string(),
        Err(_) => "?".to_string(),
    };
    let _ = writeln!(s, "Portico is listening on http://{}", started.addr);
    let _ = writeln!(s, "  storage: {db}, migrations applied");
    let _ = writeln!(
        s,
        "  mail:    {}",
        if started.mail_worker {
            "delivered over SMTP by the outbox worker"
        } else if config.demo {
            "kept in the outbox (no smtp_url): read it in the demo mailbox"
        } else {
            "kept in the outbox (no smtp_url): set smtp_url to deliver it"
        }
    );
    let _ = writeln!(s, "  health:  {base}/healthz, {base}/readyz");
    if let Some(seed) = &started.demo {
        let slug = &seed.slug;
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Demo agency \"{}\" seeded ({} demo clients).",
            seed.agency.name,
            seed.clients.len()
        );
        let _ = writeln!(s, "  Portal:         {base}/p/{slug}/");
        let _ = writeln!(s, "  Staff console:  {base}/demo/console");
        let _ = writeln!(s, "  Mailbox:        {base}/demo/mailbox");
        let _ = writeln!(
            s,
            "  Staff API key (admin API, shown once): {}",
            seed.api_key
        );
        if !seed.clients.is_empty() {
            let _ = writeln!(s, "  Demo clients:");
            for c in &seed.clients {
                let pw = c
                    .password
                    .as_deref()
                    .unwrap_or("(not activated: invite them)");
                let _ = writeln!(
                    s,
                    "    {:<28} {:<36} {:<10} {}",
                    c.email, pw, c.role, c.note
                );
            }
        }
    }
    let _ = writeln!(s, "\nStop with Ctrl-C.");
    s
}

fn sqlite_path(url: &str) -> &str {
    let p = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    p.split('?').next().unwrap_or(p)
}

/// Runs the command line (the `portico` binary's `main`).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let layers = match cli.settings.layers(std::env::vars()) {
        Ok(l) => l,
        Err(e) => return config_failure(&e),
    };
    let config = match &cli.command {
        Command::Serve { demo } | Command::CheckConfig { demo } => layers.resolve(*demo),
        Command::CreateAgency { .. } => layers.resolve_admin(),
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return config_failure(&e),
    };
    crate::logging::init(config.log_format);
    if let Command::CheckConfig { .. } = cli.command {
        println!("configuration OK");
        println!("  listen:      {}", config.listen);
        println!(
            "  database:    {}",
            match config.database() {
                Ok(Database::Sqlite) => "SQLite",
                _ => "PostgreSQL",
            }
        );
        println!(
            "  smtp:        {}",
            if config.smtp_url.is_some() {
                "set"
            } else {
                "none (mail stays in the outbox)"
            }
        );
        println!(
            "  host data:   {}",
            match &config.host_data {
                HostDataSource::Demo => "demo",
                HostDataSource::Http { .. } => "http",
            }
        );
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portico: error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => {
                let running = server::start(config.clone()).await?;
                print!("{}", summary(&config, running.started()));
                running.run_until_signal().await
            }
            Command::CreateAgency { slug, name } => {
                let b = server::create_agency(&config, &slug, &name).await?;
                println!("agency created: {} ({})", b.agency.slug, b.agency.id);
                println!("portal: {}/", b.agency.settings.portal_base_url);
                println!("api key (shown once): {}", b.key.raw.expose());
                Ok(())
            }
            Command::CheckConfig { .. } => Ok(()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServerError::Config(e)) => config_failure(&e),
        Err(e) => {
            eprintln!("portico: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn config_failure(e: &ConfigError) -> ExitCode {
    eprintln!("portico: configuration error: {e}");
    ExitCode::from(2)
}
