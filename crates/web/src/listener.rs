//! A TCP listener that holds at most N connections open at once
//! (`--web.max-connections`, Prometheus' `netutil.LimitListener`): once the
//! limit is reached, `accept` waits until a connection closes, so the
//! kernel's backlog queues further clients instead of the process taking
//! on unbounded work.
//!
//! It also applies `--web.read-timeout` as Go's `http.Server.ReadTimeout`
//! does: reading a request, headers and body, must finish within the
//! timeout counted from when the server starts waiting for it (for a
//! kept-alive connection, from the end of the previous response, since
//! Prometheus sets no separate idle timeout and Go then uses the read
//! timeout for idle connections too). A client that stalls has its
//! connection closed instead of holding a slot forever.

use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// A listener admitting at most a fixed number of open connections.
#[derive(Debug)]
pub struct LimitedListener {
    inner: TcpListener,
    slots: Arc<Semaphore>,
    read_timeout: Option<Duration>,
}

impl LimitedListener {
    /// Wraps `inner`; `max` of 0 means no limit (as in Prometheus).
    pub fn new(inner: TcpListener, max: usize) -> LimitedListener {
        let max = if max == 0 {
            Semaphore::MAX_PERMITS
        } else {
            max
        };
        LimitedListener {
            inner,
            slots: Arc::new(Semaphore::new(max)),
            read_timeout: None,
        }
    }

    /// Closes connections whose request is not read within `timeout`
    /// (`None` or zero: no limit).
    pub fn with_read_timeout(mut self, timeout: Option<Duration>) -> LimitedListener {
        self.read_timeout = timeout.filter(|t| !t.is_zero());
        self
    }
}

/// A connection that gives its slot back when it is dropped.
#[derive(Debug)]
pub struct LimitedStream {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    read_timeout: Option<Duration>,
    /// When the current wait must end (see [`Phase`]).
    deadline: Pin<Box<Sleep>>,
    phase: Phase,
}

/// Where a connection is in Go's request cycle, which decides when the
/// read deadline restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading a request: the deadline runs from its first byte (from
    /// the accept for the first request, as in Go).
    Request,
    /// A response went out: waiting for the next request, the deadline
    /// running from the last write (Go's idle timeout, which Prometheus
    /// leaves at the read timeout).
    Idle,
}

impl LimitedStream {
    fn new(stream: TcpStream, slot: OwnedSemaphorePermit, read_timeout: Option<Duration>) -> Self {
        // Without a timeout the deadline is never polled.
        let first = Instant::now() + read_timeout.unwrap_or(Duration::from_secs(3600));
        LimitedStream {
            stream,
            _slot: slot,
            read_timeout,
            deadline: Box::pin(tokio::time::sleep_until(first)),
            phase: Phase::Request,
        }
    }

    /// A response is being written: the request was read, and the wait
    /// for the next one starts now.
    fn wrote(&mut self) {
        if let Some(t) = self.read_timeout {
            self.phase = Phase::Idle;
            self.deadline.as_mut().reset(Instant::now() + t);
        }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = LimitedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (LimitedStream, SocketAddr) {
        // The semaphore is never closed, so acquiring only waits.
        let slot = loop {
            match Arc::clone(&self.slots).acquire_owned().await {
                Ok(p) => break p,
                Err(_) => tokio::task::yield_now().await,
            }
        };
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (LimitedStream::new(stream, slot, self.read_timeout), addr);
                }
                // Out of file descriptors and similar: back off briefly
                // rather than spinning, and keep serving.
                Err(e) => {
                    log::error!("accept error: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let Some(timeout) = this.read_timeout else {
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        };
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "read timeout: request not read in time",
            )));
        }
        // Pending leaves both the socket and the deadline registered with
        // the waker, so a stalled client is woken up at the deadline.
        let before = buf.filled().len();
        let res = Pin::new(&mut this.stream).poll_read(cx, buf);
        if this.phase == Phase::Idle && buf.filled().len() > before {
            // The next request has begun: it gets the whole timeout.
            this.phase = Phase::Request;
            this.deadline.as_mut().reset(Instant::now() + timeout);
        }
        res
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.wrote();
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.wrote();
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::Router;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    async fn get_ok(addr: SocketAddr) -> bool {
        let Ok(mut s) = TcpStream::connect(addr).await else {
            return false;
        };
        let req = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        if s.write_all(req).await.is_err() {
            return false;
        }
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out).await;
        out.starts_with(b"HTTP/1.1 200")
    }

    #[tokio::test]
    async fn a_full_listener_waits_until_a_connection_closes() {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { "ok" }));
        tokio::spawn(async move {
            let _ = axum::serve(LimitedListener::new(inner, 1), router).await;
        });
        // One idle connection takes the only slot.
        let idle = TcpStream::connect(addr).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let blocked = tokio::time::timeout(Duration::from_millis(300), get_ok(addr)).await;
        assert!(blocked.is_err(), "a second connection was served");
        drop(idle);
        let served = tokio::time::timeout(Duration::from_secs(10), get_ok(addr)).await;
        assert_eq!(served, Ok(true));
    }

    async fn serve_with_timeout(timeout: Duration) -> SocketAddr {
        let inner = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = inner.local_addr().unwrap();
        let router = Router::new().route(
            "/",
            get(|| async { "ok" }).post(|body: String| async move { body }),
        );
        let l = LimitedListener::new(inner, 0).with_read_timeout(Some(timeout));
        tokio::spawn(async move {
            let _ = axum::serve(l, router).await;
        });
        addr
    }

    /// Reads until the server closes the connection; `None` if it kept
    /// it open for 30 s (far beyond the timeouts used here).
    async fn until_closed(s: &mut TcpStream) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut out))
            .await
            .ok()
            .map(|_| out)
    }

    #[tokio::test]
    async fn a_client_stalling_in_its_headers_is_disconnected() {
        let addr = serve_with_timeout(Duration::from_millis(300)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        let out = until_closed(&mut s).await.expect("connection left open");
        assert!(!out.starts_with(b"HTTP/1.1 200"), "{out:?}");
    }

    #[tokio::test]
    async fn a_client_stalling_in_its_body_is_disconnected() {
        let addr = serve_with_timeout(Duration::from_millis(300)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
            .await
            .unwrap();
        let out = until_closed(&mut s).await.expect("connection left open");
        assert!(!out.starts_with(b"HTTP/1.1 200"), "{out:?}");
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed_and_a_prompt_one_is_served() {
        let addr = serve_with_timeout(Duration::from_millis(300)).await;
        // Never sends anything: closed once the timeout passes.
        let mut idle = TcpStream::connect(addr).await.unwrap();
        assert_eq!(until_closed(&mut idle).await, Some(Vec::new()));
        // Two requests on one kept-alive connection, each read in time.
        let mut s = TcpStream::connect(addr).await.unwrap();
        for _ in 0..2 {
            s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .unwrap();
            let mut buf = vec![0u8; 512];
            let n = s.read(&mut buf).await.unwrap();
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
        }
        // Then idle again after the response: closed too.
        assert_eq!(until_closed(&mut s).await, Some(Vec::new()));
    }
}
