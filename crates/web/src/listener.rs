//! A TCP listener that holds at most N connections open at once
//! (`--web.max-connections`, Prometheus' `netutil.LimitListener`): once the
//! limit is reached, `accept` waits until a connection closes, so the
//! kernel's backlog queues further clients instead of the process taking
//! on unbounded work.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A listener admitting at most a fixed number of open connections.
#[derive(Debug)]
pub struct LimitedListener {
    inner: TcpListener,
    slots: Arc<Semaphore>,
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
        }
    }
}

/// A connection that gives its slot back when it is dropped.
#[derive(Debug)]
pub struct LimitedStream {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
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
                    return (
                        LimitedStream {
                            stream,
                            _slot: slot,
                        },
                        addr,
                    );
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
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
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
}
