//! A small load generator for end-to-end tests.
//!
//! [`Client`] sends requests over HTTP/1.1 (hyper, pooled keep-alive connections) with a time
//! limit per request, body included; [`Recorder`] counts the answers by label and status and
//! keeps every latency; [`drive`] runs N concurrent workers, each looping over a scenario until
//! a deadline, and reports workers that did not come back. [`Report`] gives p50/p99.
//!
//! ```no_run
//! # async fn demo() {
//! use portico_e2e::load::{Client, Recorder, drive};
//! use std::sync::Arc;
//! use std::time::Duration;
//! let client = Client::new("http://127.0.0.1:8080", Duration::from_secs(10)).unwrap();
//! let rec = Arc::new(Recorder::new());
//! let (c, r) = (client.clone(), rec.clone());
//! let outcome = drive(8, Duration::from_secs(5), move |_worker, _i| {
//!     let (c, r) = (c.clone(), r.clone());
//!     async move {
//!         let req = c.get("/healthz").body(Default::default()).unwrap();
//!         r.record("healthz", &c.send(req).await);
//!     }
//! })
//! .await;
//! println!("{} iterations\n{}", outcome.iterations, rec.report());
//! # }
//! ```

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why a request got no answer.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LoadError {
    /// The base URL or a path did not make a valid URI.
    #[error("invalid URI: {0}")]
    Uri(String),
    /// No complete answer within the time limit.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed or closed before a complete answer.
    #[error("transport: {0}")]
    Transport(String),
}

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// From sending the request to the last byte of the body.
    pub latency: Duration,
}

impl Reply {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Every cookie set by the answer, as `name=value` (attributes dropped).
    pub fn cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(|nv| nv.trim().to_string())
            .filter(|nv| nv.contains('='))
            .collect()
    }

    /// A `Cookie` header value carrying every cookie the answer set (empty if none).
    pub fn cookie_header(&self) -> String {
        self.cookies().join("; ")
    }
}

/// An HTTP/1.1 client for one base URL with a per-request time limit. Cheap to clone
/// (clones share the connection pool).
#[derive(Clone)]
pub struct Client {
    inner: HyperClient<HttpConnector, Full<Bytes>>,
    base: String,
    timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Client {
    /// A client for `base` (`http://127.0.0.1:8080`, no trailing slash needed).
    pub fn new(base: &str, timeout: Duration) -> Result<Self, LoadError> {
        let base = base.trim_end_matches('/').to_string();
        base.parse::<http::Uri>()
            .map_err(|e| LoadError::Uri(format!("{base}: {e}")))?;
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let inner = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Self {
            inner,
            base,
            timeout,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The time limit of each request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A request builder for `method` on `path` (starting with `/`) under the base URL.
    pub fn request(&self, method: Method, path: &str) -> http::request::Builder {
        Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
    }

    /// A GET request builder.
    pub fn get(&self, path: &str) -> http::request::Builder {
        self.request(Method::GET, path)
    }

    /// A JSON request (`Content-Type: application/json`) with `body` and extra headers; an
    /// error if the path or a header makes no valid request.
    pub fn json(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &serde_json::Value,
    ) -> Result<Request<Full<Bytes>>, LoadError> {
        let mut b = self
            .request(method, path)
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| LoadError::Uri(format!("{path}: {e}")))
    }

    /// Sends a request and reads the whole answer, within the time limit.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<Reply, LoadError> {
        let started = Instant::now();
        let exchange = async {
            let resp = self
                .inner
                .request(req)
                .await
                .map_err(|e| LoadError::Transport(error_chain(&e)))?;
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| LoadError::Transport(error_chain(&e)))?
                .to_bytes();
            Ok::<_, LoadError>((parts, body))
        };
        let (parts, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| LoadError::Timeout(self.timeout))??;
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
            latency: started.elapsed(),
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// What happened to the requests of one label.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Answers by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no complete answer in time.
    pub timeouts: u64,
    /// Requests whose connection failed.
    pub transport_errors: u64,
    /// Latency of every complete answer, in the order recorded.
    pub latencies: Vec<Duration>,
}

impl Stats {
    /// Requests recorded (answered or not).
    pub fn total(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.timeouts + self.transport_errors
    }

    /// Answers with this status.
    pub fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    /// Answers with a status in `range` (e.g. `200..300`).
    pub fn count_in(&self, range: std::ops::Range<u16>) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| range.contains(s))
            .map(|(_, n)| n)
            .sum()
    }

    /// The `p`-th percentile latency (nearest rank, `0 < p <= 100`), `None` without answers.
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        percentile(&self.latencies, p)
    }

    fn merge(&mut self, other: &Stats) {
        for (s, n) in &other.statuses {
            *self.statuses.entry(*s).or_default() += n;
        }
        self.timeouts += other.timeouts;
        self.transport_errors += other.transport_errors;
        self.latencies.extend_from_slice(&other.latencies);
    }
}

/// The nearest-rank percentile of `samples` (need not be sorted); `None` when empty or `p` is
/// outside `(0, 100]`.
pub fn percentile(samples: &[Duration], p: f64) -> Option<Duration> {
    if samples.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    // Nearest rank: the smallest value with at least p% of the samples at or below it.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

/// Collects outcomes by label from any number of tasks.
#[derive(Debug, Default)]
pub struct Recorder {
    by_label: Mutex<BTreeMap<String, Stats>>,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one request's outcome under `label`.
    pub fn record(&self, label: &str, outcome: &Result<Reply, LoadError>) {
        let mut map = self
            .by_label
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stats = map.entry(label.to_string()).or_default();
        match outcome {
            Ok(reply) => {
                *stats.statuses.entry(reply.status.as_u16()).or_default() += 1;
                stats.latencies.push(reply.latency);
            }
            Err(LoadError::Timeout(_)) => stats.timeouts += 1,
            Err(_) => stats.transport_errors += 1,
        }
    }

    /// A snapshot of everything recorded so far.
    pub fn report(&self) -> Report {
        let map = self
            .by_label
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Report {
            by_label: map.clone(),
        }
    }
}

/// Outcomes by label, with totals.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Stats of each label.
    pub by_label: BTreeMap<String, Stats>,
}

impl Report {
    /// Every label together.
    pub fn total(&self) -> Stats {
        let mut all = Stats::default();
        for s in self.by_label.values() {
            all.merge(s);
        }
        all
    }

    /// The stats of one label (empty if none recorded).
    pub fn label(&self, label: &str) -> Stats {
        self.by_label.get(label).cloned().unwrap_or_default()
    }
}

fn ms(d: Option<Duration>) -> String {
    d.map(|d| format!("{:.1}ms", d.as_secs_f64() * 1000.0))
        .unwrap_or_else(|| "-".into())
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = |f: &mut fmt::Formatter<'_>, name: &str, s: &Stats| {
            let statuses: Vec<String> = s
                .statuses
                .iter()
                .map(|(code, n)| format!("{code}×{n}"))
                .collect();
            writeln!(
                f,
                "{name:<20} n={:<6} p50={:<9} p99={:<9} max={:<9} [{}] timeouts={} transport={}",
                s.total(),
                ms(s.percentile(50.0)),
                ms(s.percentile(99.0)),
                ms(s.latencies.iter().max().copied()),
                statuses.join(" "),
                s.timeouts,
                s.transport_errors,
            )
        };
        for (name, s) in &self.by_label {
            line(f, name, s)?;
        }
        line(f, "TOTAL", &self.total())
    }
}

/// How a [`drive`] run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Scenario iterations completed by all workers.
    pub iterations: u64,
    /// Workers still inside an iteration at the deadline plus the grace period (aborted).
    pub hung_workers: usize,
}

/// Runs `workers` concurrent tasks, each calling `scenario(worker, iteration)` again and again
/// until `duration` has passed (an iteration under way is let finish). Workers that have not
/// come back `grace` after the deadline (10 s, or use [`drive_with_grace`]) are aborted and
/// counted as hung: with a time limit on every request, there should be none.
pub async fn drive<F, Fut>(workers: usize, duration: Duration, scenario: F) -> Outcome
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    drive_with_grace(workers, duration, Duration::from_secs(10), scenario).await
}

/// [`drive`] with an explicit grace period after the deadline.
pub async fn drive_with_grace<F, Fut>(
    workers: usize,
    duration: Duration,
    grace: Duration,
    scenario: F,
) -> Outcome
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let scenario = Arc::new(scenario);
    let iterations = Arc::new(AtomicU64::new(0));
    let deadline = tokio::time::Instant::now() + duration;
    let mut tasks = Vec::with_capacity(workers);
    for worker in 0..workers {
        let scenario = scenario.clone();
        let iterations = iterations.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while tokio::time::Instant::now() < deadline {
                scenario(worker, i).await;
                i += 1;
                iterations.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let mut hung = 0;
    let cutoff = deadline + grace;
    for task in tasks {
        let abort = task.abort_handle();
        match tokio::time::timeout_at(cutoff, task).await {
            Ok(_) => {}
            Err(_) => {
                abort.abort();
                hung += 1;
            }
        }
    }
    Outcome {
        iterations: iterations.load(Ordering::Relaxed),
        hung_workers: hung,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    use tokio::net::TcpListener;

    /// A server: `/ok` 200, `/teapot` 418 with a cookie, `/slow` answers after 2 s, `/cut`
    /// closes the connection without answering.
    async fn server() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let svc = service_fn(|req: Request<hyper::body::Incoming>| async move {
                        let path = req.uri().path().to_string();
                        let mut resp = http::Response::new(Full::new(Bytes::from(path.clone())));
                        match path.as_str() {
                            "/teapot" => {
                                *resp.status_mut() = StatusCode::IM_A_TEAPOT;
                                resp.headers_mut().append(
                                    header::SET_COOKIE,
                                    "a=1; Path=/; HttpOnly".parse().unwrap(),
                                );
                                resp.headers_mut()
                                    .append(header::SET_COOKIE, "b=2".parse().unwrap());
                            }
                            "/slow" => tokio::time::sleep(Duration::from_secs(2)).await,
                            "/cut" => return Err(std::io::Error::other("cut")),
                            _ => {}
                        }
                        Ok::<_, std::io::Error>(resp)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        format!("http://{addr}")
    }

    fn get(c: &Client, path: &str) -> Request<Full<Bytes>> {
        c.get(path).body(Full::default()).unwrap()
    }

    #[tokio::test]
    async fn records_statuses_timeouts_and_transport_errors() {
        let base = server().await;
        let c = Client::new(&base, Duration::from_millis(300)).unwrap();
        let rec = Recorder::new();
        let ok = c.send(get(&c, "/ok")).await;
        assert_eq!(ok.as_ref().unwrap().status, StatusCode::OK);
        assert_eq!(ok.as_ref().unwrap().text(), "/ok");
        rec.record("a", &ok);
        rec.record("a", &c.send(get(&c, "/teapot")).await);
        let slow = c.send(get(&c, "/slow")).await;
        assert_eq!(slow.as_ref().unwrap_err(), &LoadError::Timeout(c.timeout()));
        rec.record("b", &slow);
        let cut = c.send(get(&c, "/cut")).await;
        assert!(matches!(cut, Err(LoadError::Transport(_))), "{cut:?}");
        rec.record("b", &cut);

        let report = rec.report();
        let a = report.label("a");
        assert_eq!((a.count(200), a.count(418), a.total()), (1, 1, 2));
        assert_eq!(a.count_in(200..300), 1);
        let b = report.label("b");
        assert_eq!((b.timeouts, b.transport_errors, b.total()), (1, 1, 2));
        assert!(b.latencies.is_empty());
        assert_eq!(report.total().total(), 4);
        let shown = report.to_string();
        assert!(
            shown.contains("418×1") && shown.contains("TOTAL"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_transport_error() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let c = Client::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap();
        let r = c.send(get(&c, "/")).await;
        assert!(matches!(r, Err(LoadError::Transport(_))), "{r:?}");
    }

    #[test]
    fn a_bad_base_is_refused() {
        assert!(matches!(
            Client::new("http://exa mple", Duration::from_secs(1)),
            Err(LoadError::Uri(_))
        ));
    }

    #[tokio::test]
    async fn cookies_are_read_from_set_cookie() {
        let base = server().await;
        let c = Client::new(&base, Duration::from_secs(2)).unwrap();
        let r = c.send(get(&c, "/teapot")).await.unwrap();
        assert_eq!(r.cookies(), vec!["a=1".to_string(), "b=2".to_string()]);
        assert_eq!(r.cookie_header(), "a=1; b=2");
        let none = c.send(get(&c, "/ok")).await.unwrap();
        assert_eq!(none.cookie_header(), "");
    }

    #[test]
    fn nearest_rank_percentiles() {
        let ms = |n: u64| Duration::from_millis(n);
        // 1..=100 shuffled: p50 is 50, p99 is 99, p100 is 100.
        let mut v: Vec<Duration> = (1..=100).map(ms).collect();
        v.reverse();
        v.swap(3, 70);
        assert_eq!(percentile(&v, 50.0), Some(ms(50)));
        assert_eq!(percentile(&v, 99.0), Some(ms(99)));
        assert_eq!(percentile(&v, 100.0), Some(ms(100)));
        assert_eq!(percentile(&v, 0.5), Some(ms(1)));
        assert_eq!(percentile(&[ms(7)], 99.0), Some(ms(7)));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&v, 0.0), None);
        assert_eq!(percentile(&v, 101.0), None);
        assert_eq!(percentile(&v, f64::NAN), None);
    }

    #[tokio::test]
    async fn drive_runs_workers_until_the_deadline() {
        let base = server().await;
        let c = Client::new(&base, Duration::from_secs(2)).unwrap();
        let rec = Arc::new(Recorder::new());
        let seen = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
        let (cc, rr, ss) = (c.clone(), rec.clone(), seen.clone());
        let started = Instant::now();
        let out = drive(4, Duration::from_millis(300), move |w, _| {
            let (c, r, s) = (cc.clone(), rr.clone(), ss.clone());
            async move {
                s.lock().unwrap().insert(w);
                r.record("ok", &c.send(get(&c, "/ok")).await);
            }
        })
        .await;
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(out.hung_workers, 0);
        assert!(out.iterations >= 4, "{out:?}");
        assert_eq!(rec.report().label("ok").count(200), out.iterations);
        assert_eq!(seen.lock().unwrap().len(), 4, "every worker ran");
    }

    #[tokio::test]
    async fn drive_aborts_and_counts_hung_workers() {
        let out = drive_with_grace(
            3,
            Duration::from_millis(50),
            Duration::from_millis(100),
            |w, _| async move {
                if w == 0 {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            },
        )
        .await;
        assert_eq!(out.hung_workers, 1);
        assert!(out.iterations >= 2);
    }
}
