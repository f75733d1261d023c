//! `ferrybridge`: start the emulator.

use std::io::IsTerminal;

use ferrybridge_server::{start, Config};
use tracing_subscriber::EnvFilter;

fn main() -> std::process::ExitCode {
    let config = Config::from_env_and_args();
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("ferrybridge: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match start(config).await {
            Ok(server) => server,
            Err(err) if err.kind() == std::io::ErrorKind::InvalidData => {
                eprintln!("ferrybridge: {err}");
                return std::process::ExitCode::FAILURE;
            }
            Err(err) => {
                eprintln!("ferrybridge: cannot listen: {err}");
                return std::process::ExitCode::FAILURE;
            }
        };
        tracing::info!(endpoint = %server.endpoint_url(), "ferrybridge ready");
        let stop = wait_for_signal();
        server.run_init_hooks().await;
        // Testcontainers' LocalStack modules wait for exactly this line on standard output.
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "Ready.");
            let _ = out.flush();
        }
        stop.await;
        tracing::info!("shutting down");
        server.shutdown().await;
        std::process::ExitCode::SUCCESS
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when this is called
/// (not when the future is first polled), so a signal sent right after `Ready.` is caught.
fn wait_for_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            match (term, int) {
                (Some(mut term), Some(mut int)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
