//! A controllable TCP proxy for fault tests.
//!
//! Put between the server and a service it depends on (PostgreSQL, SMTP), a [`Proxy`] passes
//! bytes both ways until told otherwise:
//!
//! - [`Proxy::cut`] drops every live connection and refuses new ones (each is accepted and
//!   closed at once): to the server, the service is gone, as when PostgreSQL is stopped — but
//!   the shared service that other tests use keeps running.
//! - [`Proxy::stall`] keeps connections open but forwards nothing, and holds new ones without
//!   connecting them: a service that hangs (a full disk, a frozen host).
//! - [`Proxy::refuse`] drops every live connection and closes the port: new connections are
//!   refused by the operating system, exactly as when the service's process is stopped.
//! - [`Proxy::restore`] passes traffic again; new connections reach the service.
//!
//! ```no_run
//! # async fn demo() -> Result<(), portico_e2e::proxy::ProxyError> {
//! use portico_e2e::proxy::Proxy;
//! let pg = Proxy::start("127.0.0.1:5432").await?;
//! let url = format!("postgres://postgres@{}/test", pg.addr());
//! // … start the server on `url` …
//! pg.cut().await; // PostgreSQL is "down"
//! pg.restore(); // and back
//! # Ok(()) }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, lookup_host};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does with traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Bytes flow both ways.
    Pass,
    /// Live connections are dropped; new ones are accepted and closed at once.
    Cut,
    /// Connections stay open but nothing is forwarded; new ones are held unconnected.
    Stall,
    /// Live connections are dropped and the port is closed: new connections are refused
    /// (`ECONNREFUSED`), as when the service's process is stopped.
    Refuse,
}

impl Mode {
    /// Whether live connections are dropped in this mode.
    fn drops(self) -> bool {
        matches!(self, Mode::Cut | Mode::Refuse)
    }
}

/// Why a proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream address did not resolve to any socket address.
    #[error("upstream address {0:?} does not resolve")]
    Resolve(String),
    /// Binding the local listener failed.
    #[error("cannot listen on loopback: {0}")]
    Listen(#[source] std::io::Error),
}

/// Counters of what the proxy has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Connections accepted and forwarded upstream.
    pub forwarded: u64,
    /// Connections accepted and closed at once (the proxy was cut, or upstream refused).
    pub refused: u64,
    /// Live connections dropped by [`Proxy::cut`].
    pub dropped: u64,
    /// Connections open right now (forwarded or held).
    pub active: u64,
}

#[derive(Default)]
struct Counters {
    forwarded: AtomicU64,
    refused: AtomicU64,
    dropped: AtomicU64,
    active: AtomicU64,
    /// Whether the accept loop holds its listener (false while refusing).
    listening: std::sync::atomic::AtomicBool,
}

/// Decrements the active count when a connection task ends, however it ends.
struct ActiveGuard(Arc<Counters>);

impl ActiveGuard {
    fn new(counters: &Arc<Counters>) -> Self {
        counters.active.fetch_add(1, Ordering::SeqCst);
        Self(counters.clone())
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A TCP proxy on a loopback port in front of one upstream address. Stops when dropped.
pub struct Proxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    counters: Arc<Counters>,
    accept: JoinHandle<()>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("addr", &self.addr)
            .field("upstream", &self.upstream)
            .field("mode", &self.mode())
            .finish()
    }
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1:<free port>` forwarding to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> Result<Self, ProxyError> {
        let upstream_addr = lookup_host(upstream)
            .await
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| ProxyError::Resolve(upstream.to_string()))?;
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(ProxyError::Listen)?;
        let addr = listener.local_addr().map_err(ProxyError::Listen)?;
        let (mode, _) = watch::channel(Mode::Pass);
        let counters = Arc::new(Counters::default());
        counters.listening.store(true, Ordering::SeqCst);
        let accept = tokio::spawn(accept_loop(
            listener,
            addr,
            upstream_addr,
            mode.clone(),
            counters.clone(),
        ));
        Ok(Self {
            addr,
            upstream: upstream_addr,
            mode,
            counters,
            accept,
        })
    }

    /// Starts a proxy in front of the host and port of a URL such as
    /// `postgres://user@127.0.0.1:5432/db` or `smtp://127.0.0.1:2525`; returns it with the
    /// same URL pointed at the proxy.
    pub async fn for_url(url: &str) -> Result<(Self, String), ProxyError> {
        let (authority, start, end) =
            host_port_of(url).ok_or_else(|| ProxyError::Resolve(url.to_string()))?;
        let proxy = Self::start(authority).await?;
        let rewritten = format!("{}{}{}", &url[..start], proxy.addr(), &url[end..]);
        Ok((proxy, rewritten))
    }

    /// The proxy's own address (connect here instead of upstream).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The upstream address it forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        *self.mode.borrow()
    }

    /// What the proxy has seen so far.
    pub fn stats(&self) -> ProxyStats {
        ProxyStats {
            forwarded: self.counters.forwarded.load(Ordering::SeqCst),
            refused: self.counters.refused.load(Ordering::SeqCst),
            dropped: self.counters.dropped.load(Ordering::SeqCst),
            active: self.counters.active.load(Ordering::SeqCst),
        }
    }

    /// Drops every live connection and refuses new ones until [`Proxy::restore`]. Returns
    /// once the live connections are closed (or after 5 s, whichever comes first).
    pub async fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
        for _ in 0..500 {
            if self.counters.active.load(Ordering::SeqCst) == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Like [`Proxy::cut`], but closes the listening port too, so that new connections are
    /// refused by the operating system (a stopped PostgreSQL, rather than a broken network).
    /// [`Proxy::restore`] listens on the same port again.
    pub async fn refuse(&self) {
        self.mode.send_replace(Mode::Refuse);
        for _ in 0..500 {
            if self.counters.active.load(Ordering::SeqCst) == 0
                && !self.counters.listening.load(Ordering::SeqCst)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops forwarding without closing anything: connections hang until [`Proxy::restore`]
    /// (or [`Proxy::cut`]).
    pub fn stall(&self) {
        self.mode.send_replace(Mode::Stall);
    }

    /// Passes traffic again: new connections reach upstream, stalled ones resume.
    pub fn restore(&self) {
        self.mode.send_replace(Mode::Pass);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Ends every connection task too (they watch the mode channel).
        self.mode.send_replace(Mode::Cut);
        self.accept.abort();
    }
}

/// The byte range of `host:port` in a URL (after `scheme://` and any `userinfo@`, before the
/// path or query), with the slice itself.
fn host_port_of(url: &str) -> Option<(&str, usize, usize)> {
    let after_scheme = url.find("://")? + 3;
    let rest = &url[after_scheme..];
    let end_rel = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end_rel];
    let host_rel = authority.rfind('@').map(|i| i + 1).unwrap_or(0);
    let start = after_scheme + host_rel;
    let end = after_scheme + end_rel;
    let host_port = &url[start..end];
    // A port is required: the proxy cannot guess a scheme's default.
    let (_, port) = host_port.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    Some((host_port, start, end))
}

/// Listens on `addr` again (after [`Mode::Refuse`]), reusing the address.
fn rebind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

async fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    upstream: SocketAddr,
    mode: watch::Sender<Mode>,
    counters: Arc<Counters>,
) {
    let mut watcher = mode.subscribe();
    let mut listener = Some(listener);
    loop {
        if listener.is_some() && *watcher.borrow_and_update() == Mode::Refuse {
            listener = None;
            counters.listening.store(false, Ordering::SeqCst);
        }
        let Some(l) = listener.as_ref() else {
            // Refusing: no listener until the mode changes, then listen again.
            if *watcher.borrow_and_update() == Mode::Refuse {
                if watcher.changed().await.is_err() {
                    return;
                }
                continue;
            }
            match rebind(addr) {
                Ok(l) => {
                    listener = Some(l);
                    counters.listening.store(true, Ordering::SeqCst);
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
            continue;
        };
        let accepted = tokio::select! {
            a = l.accept() => a,
            changed = watcher.changed() => {
                if changed.is_err() {
                    return;
                }
                if *watcher.borrow_and_update() == Mode::Refuse {
                    listener = None;
                    counters.listening.store(false, Ordering::SeqCst);
                }
                continue;
            }
        };
        let Ok((client, _)) = accepted else {
            // Out of descriptors or similar: back off briefly rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let now = *mode.borrow();
        if now.drops() {
            counters.refused.fetch_add(1, Ordering::SeqCst);
            close(client).await;
            continue;
        }
        tokio::spawn(connection(
            client,
            upstream,
            mode.subscribe(),
            counters.clone(),
        ));
    }
}

async fn close(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    drop(stream);
}

/// Waits until the mode is no longer `Stall`; `None` when it became `Cut` (or the proxy went).
async fn wait_unstalled(mode: &mut watch::Receiver<Mode>) -> Option<()> {
    loop {
        let now = *mode.borrow_and_update();
        match now {
            Mode::Pass => return Some(()),
            Mode::Cut | Mode::Refuse => return None,
            Mode::Stall => {
                if mode.changed().await.is_err() {
                    return None;
                }
            }
        }
    }
}

async fn connection(
    client: TcpStream,
    upstream: SocketAddr,
    mut mode: watch::Receiver<Mode>,
    counters: Arc<Counters>,
) {
    let _active = ActiveGuard::new(&counters);
    // A connection that arrives while stalled is held, unconnected, until the stall ends.
    if wait_unstalled(&mut mode).await.is_none() {
        counters.refused.fetch_add(1, Ordering::SeqCst);
        close(client).await;
        return;
    }
    let server = match TcpStream::connect(upstream).await {
        Ok(s) => s,
        Err(_) => {
            counters.refused.fetch_add(1, Ordering::SeqCst);
            close(client).await;
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    counters.forwarded.fetch_add(1, Ordering::SeqCst);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = pump(client_read, server_write, mode.clone());
    let down = pump(server_read, client_write, mode.clone());
    tokio::pin!(up, down);
    // A clean end of one direction (EOF, passed on as a shutdown) lets the other finish; an
    // error or a cut ends the connection: both halves are dropped.
    let end = tokio::select! {
        e = &mut up => if e == End::Eof { down.await } else { e },
        e = &mut down => if e == End::Eof { up.await } else { e },
    };
    if end == End::Cut {
        counters.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// How one direction of a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The sender closed its side; the shutdown was passed on.
    Eof,
    /// Reading or writing failed.
    Error,
    /// The proxy was cut (or dropped).
    Cut,
}

/// Copies one direction until EOF, an error or a cut. While stalled, reads nothing (so the
/// sender's buffers fill, as with a hung peer).
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
) -> End {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        if wait_unstalled(&mut mode).await.is_none() {
            return End::Cut;
        }
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) => {
                    let _ = to.shutdown().await;
                    return End::Eof;
                }
                Err(_) => return End::Error,
                Ok(n) => n,
            },
            changed = mode.changed() => {
                if changed.is_err() {
                    return End::Cut;
                }
                continue;
            }
        };
        // Bytes already read are delivered unless a cut comes first.
        tokio::select! {
            w = to.write_all(&buf[..n]) => {
                if w.is_err() {
                    return End::Error;
                }
            }
            _ = wait_for_drop(&mut mode) => return End::Cut,
        }
    }
}

/// Resolves when the mode drops connections (or the proxy goes away).
async fn wait_for_drop(mode: &mut watch::Receiver<Mode>) {
    let _ = mode.wait_for(|m| m.drops()).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An echo server; returns its address.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if s.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
        s.write_all(msg).await?;
        let mut got = vec![0u8; msg.len()];
        tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut got))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer"))??;
        Ok(got)
    }

    /// Reads until EOF or error; `true` when the connection was closed within 2 s.
    async fn closed(s: &mut TcpStream) -> bool {
        let mut buf = [0u8; 64];
        matches!(
            tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    #[tokio::test]
    async fn passes_bytes_both_ways() {
        let proxy = Proxy::start(&echo().await.to_string()).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s, b"hello").await.unwrap(), b"hello");
        let big = vec![7u8; 200_000];
        s.write_all(&big).await.unwrap();
        let mut got = vec![0u8; big.len()];
        s.read_exact(&mut got).await.unwrap();
        assert_eq!(got, big);
        assert_eq!(proxy.stats().forwarded, 1);
        assert_eq!(proxy.stats().active, 1);
    }

    #[tokio::test]
    async fn a_half_close_is_passed_on_and_the_answer_still_arrives() {
        let proxy = Proxy::start(&echo().await.to_string()).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        s.write_all(b"bye").await.unwrap();
        s.shutdown().await.unwrap();
        let mut got = Vec::new();
        tokio::time::timeout(Duration::from_secs(2), s.read_to_end(&mut got))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got, b"bye");
        assert_eq!(proxy.stats().dropped, 0);
    }

    #[tokio::test]
    async fn cut_drops_live_connections_and_refuses_new_ones_until_restored() {
        let proxy = Proxy::start(&echo().await.to_string()).await.unwrap();
        let mut live = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut live, b"one").await.unwrap(), b"one");

        proxy.cut().await;
        assert_eq!(proxy.mode(), Mode::Cut);
        assert_eq!(
            proxy.stats().active,
            0,
            "cut returns once live connections are closed"
        );
        assert_eq!(proxy.stats().dropped, 1);
        assert!(closed(&mut live).await, "the live connection is dropped");

        // A new connection is accepted (the port is open) and closed at once.
        let mut refused = TcpStream::connect(proxy.addr()).await.unwrap();
        assert!(closed(&mut refused).await);
        assert!(proxy.stats().refused >= 1);

        proxy.restore();
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut again, b"two").await.unwrap(), b"two");
        assert_eq!(proxy.stats().forwarded, 2);
    }

    #[tokio::test]
    async fn refuse_closes_the_port_until_restored_on_the_same_port() {
        let proxy = Proxy::start(&echo().await.to_string()).await.unwrap();
        let mut live = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut live, b"one").await.unwrap(), b"one");

        proxy.refuse().await;
        assert_eq!(proxy.mode(), Mode::Refuse);
        assert!(closed(&mut live).await, "the live connection is dropped");
        let err = TcpStream::connect(proxy.addr()).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);

        proxy.restore();
        let mut again = None;
        for _ in 0..100 {
            if let Ok(s) = TcpStream::connect(proxy.addr()).await {
                again = Some(s);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let mut again = again.expect("listening again on the same port");
        assert_eq!(round_trip(&mut again, b"two").await.unwrap(), b"two");
    }

    #[tokio::test]
    async fn stall_holds_bytes_until_restored() {
        let proxy = Proxy::start(&echo().await.to_string()).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s, b"a").await.unwrap(), b"a");

        proxy.stall();
        s.write_all(b"held").await.unwrap();
        let mut buf = [0u8; 4];
        let waited = tokio::time::timeout(Duration::from_millis(300), s.read_exact(&mut buf)).await;
        assert!(waited.is_err(), "nothing comes back while stalled");

        // A connection made during the stall is held, not refused.
        let mut late = TcpStream::connect(proxy.addr()).await.unwrap();
        late.write_all(b"late").await.unwrap();

        proxy.restore();
        tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf, b"held");
        tokio::time::timeout(Duration::from_secs(2), late.read_exact(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf, b"late");
    }

    #[tokio::test]
    async fn cut_during_a_stall_closes_held_connections() {
        let proxy = Proxy::start(&echo().await.to_string()).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s, b"a").await.unwrap(), b"a");
        proxy.stall();
        let mut held = TcpStream::connect(proxy.addr()).await.unwrap();
        // Let the proxy accept it.
        tokio::time::sleep(Duration::from_millis(50)).await;
        proxy.cut().await;
        assert!(closed(&mut s).await);
        assert!(closed(&mut held).await);
        assert_eq!(proxy.stats().active, 0);
    }

    #[tokio::test]
    async fn an_unreachable_upstream_closes_the_client() {
        // A port nobody listens on: bind one, note it, let it go.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let proxy = Proxy::start(&format!("127.0.0.1:{port}")).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert!(closed(&mut s).await);
        assert_eq!(proxy.stats().refused, 1);
        assert_eq!(proxy.stats().forwarded, 0);
    }

    #[tokio::test]
    async fn a_bad_upstream_is_an_error() {
        let err = Proxy::start("no port here").await.unwrap_err();
        assert!(matches!(err, ProxyError::Resolve(_)), "{err}");
        let err = Proxy::for_url("postgres://localhost/db").await.unwrap_err();
        assert!(matches!(err, ProxyError::Resolve(_)), "{err}");
    }

    #[test]
    fn host_port_of_urls() {
        let find = |u: &str| host_port_of(u).map(|(s, _, _)| s.to_string());
        assert_eq!(
            find("postgres://postgres@127.0.0.1:5432/test").as_deref(),
            Some("127.0.0.1:5432")
        );
        assert_eq!(
            find("postgres://u:p@ss@db.example:6543?sslmode=disable").as_deref(),
            Some("db.example:6543")
        );
        assert_eq!(
            find("smtp://127.0.0.1:2525").as_deref(),
            Some("127.0.0.1:2525")
        );
        assert_eq!(find("smtp://127.0.0.1"), None, "no port");
        assert_eq!(find("127.0.0.1:5432"), None, "no scheme");
        assert_eq!(find("smtp://h:notaport"), None);
    }

    #[tokio::test]
    async fn for_url_rewrites_the_address_only() {
        let upstream = echo().await;
        let (proxy, url) = Proxy::for_url(&format!("postgres://postgres@{upstream}/test?x=1"))
            .await
            .unwrap();
        assert_eq!(
            url,
            format!("postgres://postgres@{}/test?x=1", proxy.addr())
        );
        assert_eq!(proxy.upstream(), upstream);
    }

    #[tokio::test]
    async fn dropping_the_proxy_ends_its_connections() {
        let proxy = Proxy::start(&echo().await.to_string()).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s, b"x").await.unwrap(), b"x");
        drop(proxy);
        assert!(closed(&mut s).await);
    }
}
