//! `portico`: the standalone Portico server. See `portico --help` and docs/DEPLOYMENT.md.

fn main() -> std::process::ExitCode {
    portico_server::cli::main()
}
