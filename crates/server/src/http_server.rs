//! Listening, connection handling and graceful shutdown (hyper 1 on tokio).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrybridge_engine::clock::{Clock, SystemClock};
use ferrybridge_engine::reset::ResetScope;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::dispatch::App;
use crate::Config;

/// A server running on the current tokio runtime; dropping it (or calling
/// [`RunningServer::shutdown`]) stops accepting and lets requests in flight finish.
pub struct RunningServer {
    /// The address the listener is bound to (useful with port 0).
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
    app: Arc<App>,
}

impl RunningServer {
    /// Drops the state `scope` covers, as `POST /_ferrybridge/reset` does (atomically with
    /// respect to deliveries, retries, move tasks and schedules in flight); the JSON summary
    /// that endpoint answers.
    pub fn reset(&self, scope: ResetScope) -> serde_json::Value {
        crate::admin::reset(&self.app, &scope)
    }

    /// The endpoint URL clients should use, e.g. `http://127.0.0.1:4566`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs the `--init-dir` hooks (if any) against this server, in order; afterwards
    /// `/_localstack/init` reports READY completed.
    pub async fn run_init_hooks(&self) {
        let host = if self.addr.ip().is_unspecified() {
            format!("127.0.0.1:{}", self.addr.port())
        } else {
            self.addr.to_string()
        };
        let config = &self.app.config;
        crate::init_hooks::run(
            config.init_dir.as_deref(),
            &format!("http://{host}"),
            &config.default_region,
            &self.app.init,
        )
        .await;
    }

    /// Stop accepting connections and wait for requests in flight to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
        if let Some(journal) = &self.app.journal {
            journal.close();
        }
    }
}

/// Bind and start serving with the system clock.
pub async fn start(config: Config) -> std::io::Result<RunningServer> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// Bind and start serving with the given clock (tests pass a manual clock to control time).
/// The `--config` file's resources are created before the first connection is accepted; a
/// bad file fails the start (`InvalidData`, the message names file, line and field).
pub async fn start_with_clock(
    config: Config,
    clock: Arc<dyn Clock>,
) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
    let addr = listener.local_addr()?;
    let persisted = crate::persistence::open(&config)
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?;
    let app = Arc::new(
        App::new(config, clock, addr, persisted)
            .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?,
    );
    if let Some(path) = &app.config.state_file {
        let doc = crate::state::read(path)
            .and_then(|doc| app.sqs_engine.import(&doc))
            .map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("bad state file {}: {e}", path.display()),
                )
            })?;
        tracing::info!(file = %path.display(), queues = doc.0, messages = doc.1, "state file imported");
    }
    if let Some(journal) = &app.journal {
        crate::persistence::spawn_compactor(
            journal.clone(),
            app.sqs_engine.clone(),
            app.sts.engine().clone(),
        );
    }
    crate::startup::apply_config_file(&app, addr)
        .await
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?;
    let (stop, stopped) = watch::channel(false);
    let done = tokio::spawn(accept_loop(listener, app.clone(), stopped));
    Ok(RunningServer {
        addr,
        stop,
        done,
        app,
    })
}

/// How long requests in flight (deliveries into queues, answers being written) get to finish
/// once the server stops; parked long polls answer at once. Keeps a whole shutdown well within
/// the 10 seconds `docker stop` gives.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

async fn accept_loop(listener: TcpListener, app: Arc<App>, mut stopped: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(app.config().header_timeout));
    let slots = Arc::new(Semaphore::new(app.config().max_connections as usize));
    loop {
        // At most `max_connections` at once: wait for a slot before accepting another.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let header_timeout = Duration::from_secs(app.config().header_timeout);
        let app = app.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let app = app.clone();
            async move { Ok::<Response<Full<Bytes>>, Infallible>(app.serve(req, peer).await) }
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // hyper's header timeout runs once a request head has begun; a client that
            // connects and sends nothing gets the same time to start one.
            let mut first = [0u8; 1];
            if tokio::time::timeout(header_timeout, stream.peek(&mut first))
                .await
                .is_err()
            {
                tracing::debug!(%peer, "connection sent nothing in time; closed");
                drop(slot);
                return;
            }
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), service)
                .into_owned();
            if let Err(err) = watcher.watch(conn).await {
                tracing::debug!(%err, %peer, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    app.begin_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}
