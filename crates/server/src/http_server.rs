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

use crate::app::App;
use crate::Config;

/// A server running on the current tokio runtime; dropping it (or calling
/// [`RunningServer::shutdown`]) stops accepting and lets requests in flight finish.
pub struct RunningServer {
    /// The address the listener is bound to (useful with port 0).
    pub addr: SocketAddr,
    /// The TLS-only listener's address (`--https-port`), if any.
    pub https_addr: Option<SocketAddr>,
    /// The local CA's certificate (PEM) when HTTPS is served, on `addr` and `https_addr`.
    pub ca_pem: Option<String>,
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

    /// The token the admin API wants (`Authorization: Bearer <token>` or
    /// `x-ferrybridge-admin-token`): `--admin-token`'s, or the one generated at start;
    /// `None` when turned off (`--admin-token none`).
    pub fn admin_token(&self) -> Option<&str> {
        self.app.guard.admin_token()
    }

    /// Whether [`RunningServer::admin_token`] was generated at start (not configured), so
    /// that the binary prints it.
    pub fn admin_token_generated(&self) -> bool {
        self.app.guard.token_generated()
    }

    /// The endpoint URL clients should use, e.g. `http://127.0.0.1:4566`.
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The HTTPS endpoint URL, e.g. `https://localhost:4566` (the TLS-only port if there is
    /// one), when HTTPS is served. Names `localhost`: the certificate is issued for it.
    pub fn https_endpoint_url(&self) -> Option<String> {
        self.ca_pem.as_ref()?;
        let port = self.https_addr.unwrap_or(self.addr).port();
        Some(format!("https://localhost:{port}"))
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
            self.app.guard.admin_token(),
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
    start_wrapping_journal(config, clock, None).await
}

/// [`start_with_clock`]; with `--data-dir`, the engines append to and requests wait on
/// `wrap(journal)` (the test seam of `EmulatorBuilder::wrap_journal`).
pub(crate) async fn start_wrapping_journal(
    config: Config,
    clock: Arc<dyn Clock>,
    wrap: Option<crate::persistence::WrapJournal>,
) -> std::io::Result<RunningServer> {
    let verifier = crate::auth::Verifier::from_config(&config, clock.clone())
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?;
    let listener = TcpListener::bind(SocketAddr::new(config.host, config.port)).await?;
    let addr = listener.local_addr()?;
    let tls = tls_setup(&config)?;
    let https_listener = match (&tls, config.https_port) {
        (Some(_), Some(port)) => Some(TcpListener::bind(SocketAddr::new(config.host, port)).await?),
        _ => None,
    };
    let https_addr = match &https_listener {
        Some(l) => Some(l.local_addr()?),
        None => None,
    };
    let persisted = crate::persistence::open(&config)
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?
        .map(|opened| opened.wrapped(wrap));
    let app = Arc::new(
        App::new(config, clock, addr, persisted)
            .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?
            .with_verifier(verifier),
    );
    if tls.is_some() {
        // Signed SNS messages name an https:// SigningCertURL (the TLS-only port if any).
        app.sns
            .serve_signing_cert_over_https(https_addr.map(|a| a.port()));
    }
    if let Some(path) = &app.config.state_file {
        let doc = match crate::state::read(path) {
            Ok(doc) => crate::state::apply(&app.sqs_engine, &app.sns, &app.events, &doc).await,
            Err(e) => Err(e),
        };
        let doc = doc.map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("bad state file {}: {e}", path.display()),
            )
        })?;
        tracing::info!(file = %path.display(), imported = %doc, "state file imported");
    }
    // Message move tasks that were running when the server stopped go on (`--data-dir`).
    for task in app.sqs_engine.take_resumed_move_tasks() {
        let engine = app.sqs_engine.clone();
        tokio::spawn(async move { engine.run_message_move_task(task).await });
    }
    if let Some(journal) = &app.journal {
        crate::persistence::spawn_compactor(
            journal.durable().clone(),
            app.sqs_engine.clone(),
            app.sts.engine().clone(),
            app.sns.engine().clone(),
            app.events.engine().clone(),
        );
    }
    crate::startup::apply_config_file(&app, addr)
        .await
        .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))?;
    let (stop, stopped) = watch::channel(false);
    let ca_pem = tls.as_ref().map(|t| t.ca.cert_pem.clone());
    let acceptor = tls.map(|t| t.acceptor);
    let https_done = https_listener.map(|l| {
        tokio::spawn(accept_loop(
            l,
            app.clone(),
            stopped.clone(),
            acceptor.clone(),
            true,
        ))
    });
    let main = tokio::spawn(accept_loop(listener, app.clone(), stopped, acceptor, false));
    let done = tokio::spawn(async move {
        let _ = main.await;
        if let Some(https) = https_done {
            let _ = https.await;
        }
    });
    Ok(RunningServer {
        addr,
        https_addr,
        ca_pem,
        stop,
        done,
        app,
    })
}

/// How long requests in flight (deliveries into queues, answers being written) get to finish
/// once the server stops; parked long polls answer at once. Keeps a whole shutdown well within
/// the 10 seconds `docker stop` gives.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1500);

/// The TLS set-up the configuration asks for: `None` with `--no-https`, or when no CA
/// directory can be had and none was named (HTTPS is then off, with a warning). A CA directory
/// named by `--ca-dir`, or `--https-port`, that cannot be used fails the start.
fn tls_setup(config: &Config) -> std::io::Result<Option<crate::tls::Tls>> {
    if config.no_https {
        return Ok(None);
    }
    let explicit = config.ca_dir.is_some() || config.https_port.is_some();
    let Some(dir) = config.ca_dir.clone().or_else(crate::tls::default_ca_dir) else {
        tracing::warn!("HTTPS off: no --ca-dir, XDG_DATA_HOME or HOME to keep the local CA in");
        return Ok(None);
    };
    let names = crate::tls::server_names(config.host, config.public_host.as_deref());
    match crate::tls::Tls::new(&dir, &names) {
        Ok(tls) => Ok(Some(tls)),
        Err(err) if explicit => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("HTTPS: {err} (CA directory {})", dir.display()),
        )),
        Err(err) => {
            tracing::warn!(%err, dir = %dir.display(), "HTTPS off: the local CA cannot be used");
            Ok(None)
        }
    }
}

/// TLS handshake record type: the first byte a TLS client sends.
const TLS_HANDSHAKE: u8 = 0x16;

/// Serves one connection (plain or TLS) until it ends or the server stops.
/// A connection idle (no request in flight, no byte moving) for `idle` is closed.
async fn serve_io<I, S>(
    builder: auto::Builder<TokioExecutor>,
    io: I,
    service: S,
    watcher: hyper_util::server::graceful::Watcher,
    peer: SocketAddr,
    (activity, idle): (Arc<crate::idle::Activity>, Duration),
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<Full<Bytes>>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let io = TokioIo::new(crate::idle::IdleIo::new(io, activity.clone()));
    let conn = builder
        .serve_connection_with_upgrades(io, service)
        .into_owned();
    match crate::idle::serve(watcher.watch(conn), &activity, idle).await {
        Some(Ok(())) => {}
        Some(Err(err)) => tracing::debug!(%err, %peer, "connection ended with an error"),
        None => tracing::debug!(%peer, "connection idle; closed"),
    }
}

/// Accepts connections on `listener` until the server stops. With `tls`, a connection whose
/// first byte is a TLS handshake is served over TLS; `tls_only` refuses the others (the
/// `--https-port` listener).
async fn accept_loop(
    listener: TcpListener,
    app: Arc<App>,
    mut stopped: watch::Receiver<bool>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    tls_only: bool,
) {
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
        let activity = crate::idle::Activity::new();
        let in_flight = activity.clone();
        let service = service_fn(move |req: Request<Incoming>| {
            let app = app.clone();
            let request = in_flight.request();
            async move {
                // Boxed: hyper keeps this future inline in the connection's state and moves
                // it by value, so its size (that of `App::serve`, several KB) would be
                // copied on every request.
                let response = Box::pin(app.serve(req, peer)).await;
                drop(request);
                Ok::<Response<Full<Bytes>>, Infallible>(response)
            }
        });
        // An idle connection gets as long as a new one to start its next request.
        let idle = (activity, header_timeout);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
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
            match tls {
                Some(acceptor) if first[0] == TLS_HANDSHAKE => {
                    // The handshake gets the same time as a request head.
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            serve_io(builder, stream, service, watcher, peer, idle).await
                        }
                        Ok(Err(err)) => tracing::debug!(%err, %peer, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake not done in time; closed"),
                    }
                }
                _ if tls_only => {
                    tracing::debug!(%peer, "plain connection on the TLS-only port; closed")
                }
                _ => serve_io(builder, stream, service, watcher, peer, idle).await,
            }
            drop(slot);
        });
    }
    drop(listener);
    app.begin_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}
