//! The idle timeout: a connection with no request in flight that moves no byte for
//! `--header-timeout` seconds is closed.
//!
//! hyper's HTTP/1 header timeout already closes a keep-alive connection that does not start its
//! next request in time, but nothing else does: an HTTP/2 connection (cleartext by prior
//! knowledge, or over TLS by ALPN) with no stream open, or a connection that sent a few bytes
//! of the HTTP/2 preface (hyper waits for the rest before choosing a protocol) would otherwise
//! hold one of the `--max-connections` slots for ever. A request in flight (a long poll waiting
//! 20 s) keeps its connection, however quiet; so do bytes moving (HTTP/2 pings included).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// What one connection has been doing.
#[derive(Debug)]
pub(crate) struct Activity {
    epoch: Instant,
    /// Milliseconds after `epoch` of the last byte read or written, or request ended.
    last_ms: AtomicU64,
    /// Requests whose response is not yet handed to hyper.
    in_flight: AtomicUsize,
}

impl Activity {
    pub(crate) fn new() -> Arc<Activity> {
        Arc::new(Activity {
            epoch: Instant::now(),
            last_ms: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        })
    }

    fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(now, Ordering::Relaxed);
    }

    /// A request started; it counts as in flight until the guard is dropped.
    pub(crate) fn request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
        InFlight(self.clone())
    }

    /// How long until the connection may be idle for `idle`; `None`: it is, close it.
    fn wait(&self, idle: Duration) -> Option<Duration> {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Some(idle);
        }
        let quiet = self
            .epoch
            .elapsed()
            .saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)));
        let left = idle.saturating_sub(quiet);
        (!left.is_zero()).then_some(left)
    }
}

/// A request in flight on a connection (see [`Activity::request`]).
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `conn` (a connection being served) until it ends, or until it has been idle for
/// `idle` (`None`: it was dropped, which closes the socket).
pub(crate) async fn serve<F: Future>(
    conn: F,
    activity: &Activity,
    idle: Duration,
) -> Option<F::Output> {
    tokio::pin!(conn);
    loop {
        let wait = activity.wait(idle)?;
        tokio::select! {
            out = &mut conn => return Some(out),
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// A connection's byte stream that records its [`Activity`].
pub(crate) struct IdleIo<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I> IdleIo<I> {
    pub(crate) fn new(inner: I, activity: Arc<Activity>) -> Self {
        IdleIo { inner, activity }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for IdleIo<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let out = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        out
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for IdleIo<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let out = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        out
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let out = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(out, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        out
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_quiet_connection_is_closed_unless_a_request_is_in_flight() {
        let idle = Duration::from_millis(100);
        let activity = Activity::new();
        // Nothing happens: the connection is given up after `idle`.
        let started = Instant::now();
        let out = serve(std::future::pending::<()>(), &activity, idle).await;
        assert_eq!(out, None);
        assert!(started.elapsed() >= idle);
        // A request in flight for 3 x idle keeps it; it ends, and the connection with it.
        let activity = Activity::new();
        let guard = activity.request();
        let conn = async {
            tokio::time::sleep(idle * 3).await;
            drop(guard);
            "served"
        };
        assert_eq!(serve(conn, &activity, idle).await, Some("served"));
    }
}
