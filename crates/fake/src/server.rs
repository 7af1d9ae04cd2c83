//! The builder, the running server and its connection handling.

use std::collections::HashMap;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use rand::SeedableRng;
use rand_pcg::Pcg64;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;
use tracing::{debug, info, warn};

use crate::counters::Counters;
use crate::fault::FaultRule;
use crate::handler::{self, ResetConnection};
use crate::mappings::Mappings;
use crate::rate_limit::{RateLimits, TokenUsage};
use crate::request_log::RequestLog;

/// Maximum time that [`FakeHubSpot::shutdown`] waits for open connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Default maximum number of inputs in one batch, as HubSpot documents for this endpoint.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 100;

/// Settings that stay fixed while the server runs.
#[derive(Debug)]
pub(crate) struct Config {
    /// Accepted tokens, each with whether it has the `automation` scope. When empty, every
    /// bearer token is accepted with the scope.
    pub(crate) tokens: HashMap<String, bool>,
    pub(crate) mappings: Mappings,
    pub(crate) limits: RateLimits,
    pub(crate) send_retry_after: bool,
    pub(crate) max_batch_size: usize,
}

/// Per-token state of the rate limiter.
#[derive(Debug)]
pub(crate) struct TokenState {
    /// Position of the token in order of first use, from 1, which logs show in place of
    /// the token.
    pub(crate) index: usize,
    pub(crate) usage: TokenUsage,
    /// Value of `groupName` in 429 bodies for this token.
    pub(crate) group_name: String,
}

/// State that requests change.
#[derive(Debug)]
pub(crate) struct MutableState {
    pub(crate) rng: Pcg64,
    /// Number of requests that have reached the endpoint.
    pub(crate) request_count: u64,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) tokens: HashMap<String, TokenState>,
    pub(crate) counters: Counters,
    pub(crate) request_log: RequestLog,
}

/// State shared by the handler and the [`FakeHubSpot`] handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: Config,
    state: Mutex<MutableState>,
    pub(crate) shutdown: CancellationToken,
}

impl Shared {
    /// Locks the mutable state. No lock is held across an `.await`, so a poisoned lock only
    /// means that a handler panicked, and its partial update is still consistent enough for
    /// counters and limits.
    pub(crate) fn lock(&self) -> MutexGuard<'_, MutableState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Configures and starts a [`FakeHubSpot`].
///
/// Without any call, the server accepts every bearer token with the `automation` scope,
/// serves [`Mappings::demo`], has no rate limits and injects no faults.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct FakeHubSpotBuilder {
    tokens: HashMap<String, bool>,
    mappings: Mappings,
    limits: RateLimits,
    send_retry_after: bool,
    max_batch_size: usize,
    faults: Vec<FaultRule>,
    seed: u64,
    port: u16,
}

impl Default for FakeHubSpotBuilder {
    fn default() -> Self {
        Self {
            tokens: HashMap::new(),
            mappings: Mappings::demo(),
            limits: RateLimits::default(),
            send_retry_after: false,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            faults: Vec::new(),
            seed: 0,
            port: 0,
        }
    }
}

impl FakeHubSpotBuilder {
    /// Accepts `token` with the `automation` scope.
    ///
    /// Once a token is configured with this method or [`Self::token_without_scope`], requests
    /// with other tokens get 401.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.tokens.insert(token.into(), true);
        self
    }

    /// Accepts `token` without the `automation` scope, so its requests get 403 MISSING_SCOPES.
    pub fn token_without_scope(mut self, token: impl Into<String>) -> Self {
        self.tokens.insert(token.into(), false);
        self
    }

    /// Sets the pairs that lookups use, in place of [`Mappings::demo`].
    pub fn mappings(mut self, mappings: Mappings) -> Self {
        self.mappings = mappings;
        self
    }

    /// Limits each token to `max_requests` within any rolling window of `interval`.
    ///
    /// Requests over the limit get 429 with policy `TEN_SECONDLY_ROLLING`, whatever the
    /// interval. Requests rejected with 429 do not count against the window.
    pub fn rate_limit(mut self, max_requests: u32, interval: Duration) -> Self {
        self.limits.window = Some((max_requests, interval));
        self
    }

    /// Limits each token to `max_requests` per UTC calendar day.
    ///
    /// Requests over the limit get 429 with policy `DAILY`. Requests rejected with 429 do not
    /// count against the day.
    pub fn daily_limit(mut self, max_requests: u64) -> Self {
        self.limits.daily = Some(max_requests);
        self
    }

    /// Sets whether 429 responses carry a `Retry-After` header, in whole seconds rounded up.
    ///
    /// Off by default, because HubSpot often omits the header.
    pub fn retry_after(mut self, send: bool) -> Self {
        self.send_retry_after = send;
        self
    }

    /// Sets the maximum number of inputs in one batch. Larger batches get 400.
    pub fn max_batch_size(mut self, max_inputs: usize) -> Self {
        self.max_batch_size = max_inputs;
        self
    }

    /// Adds a fault rule. Rules are checked in the order they were added.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.faults.push(rule);
        self
    }

    /// Seeds the random number generator behind result order, fault rates and correlation
    /// IDs. The default seed is 0.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the port to listen on. The default, 0, lets the operating system choose one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Binds 127.0.0.1 and starts serving on the current Tokio runtime.
    ///
    /// # Errors
    ///
    /// Returns the error of binding the port, for example when it is in use.
    pub async fn start(self) -> io::Result<FakeHubSpot> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).await?;
        let local_addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let shared = Arc::new(Shared {
            config: Config {
                tokens: self.tokens,
                mappings: self.mappings,
                limits: self.limits,
                send_retry_after: self.send_retry_after,
                max_batch_size: self.max_batch_size,
            },
            state: Mutex::new(MutableState {
                rng: Pcg64::seed_from_u64(self.seed),
                request_count: 0,
                faults: self.faults,
                tokens: HashMap::new(),
                counters: Counters::default(),
                request_log: RequestLog::default(),
            }),
            shutdown: shutdown.clone(),
        });

        let router = handler::router(Arc::clone(&shared));
        let task = tokio::spawn(accept_connections(listener, router, shutdown.clone()));
        info!(
            url = %format!("http://{local_addr}"),
            mappings = shared.config.mappings.len(),
            "fake HubSpot server started"
        );
        Ok(FakeHubSpot {
            local_addr,
            shared,
            shutdown,
            task: Some(task),
        })
    }
}

/// Running fake HubSpot server.
///
/// Dropping the handle stops accepting connections. [`FakeHubSpot::shutdown`] also waits
/// for open connections to close.
#[derive(Debug)]
pub struct FakeHubSpot {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl FakeHubSpot {
    /// Returns a builder with the defaults described on [`FakeHubSpotBuilder`].
    pub fn builder() -> FakeHubSpotBuilder {
        FakeHubSpotBuilder::default()
    }

    /// Returns the base URL, such as `http://127.0.0.1:41234`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Returns the full URL of `POST /automation/v4/workflow-id-mappings/batch/read`.
    pub fn endpoint_url(&self) -> String {
        format!("{}{}", self.url(), crate::ENDPOINT_PATH)
    }

    /// Returns the address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Returns a snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.shared.lock().counters.clone()
    }

    /// Adds a fault rule after the existing ones, while the server runs.
    ///
    /// Request numbers in [`FaultRule::at_requests`] keep counting from the server's start.
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.lock().faults.push(rule);
    }

    /// Removes all fault rules.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Stops accepting connections and waits up to 5 seconds for open ones to finish.
    ///
    /// Requests that hang because of [`crate::Fault::Hang`] are reset at once.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            warn!(%error, "fake HubSpot server task failed");
        }
    }
}

impl Drop for FakeHubSpot {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn accept_connections(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                debug!(%peer, "accepted connection");
                connections.spawn(serve_connection(stream, router.clone(), shutdown.clone()));
            }
            Err(error) => {
                // Errors such as EMFILE persist for a while, so pause instead of spinning.
                warn!(%error, "failed to accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop(listener);

    connections.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
        .await
        .is_err()
    {
        warn!(
            open = connections.len(),
            "connections still open after the shutdown grace period"
        );
    }
    info!("fake HubSpot server stopped");
}

/// Error that makes hyper drop a connection without writing a response.
#[derive(Debug, thiserror::Error)]
#[error("connection reset by fault injection")]
struct ConnectionReset;

async fn serve_connection(stream: TcpStream, router: Router, shutdown: CancellationToken) {
    let reset_requested = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(ResettableStream {
        stream,
        reset_on_drop: Arc::clone(&reset_requested),
    });
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        let reset_requested = Arc::clone(&reset_requested);
        async move {
            let response = router
                .oneshot(request)
                .await
                .unwrap_or_else(|never| match never {});
            if response.extensions().get::<ResetConnection>().is_some() {
                reset_requested.store(true, Ordering::SeqCst);
                return Err(ConnectionReset);
            }
            Ok(response)
        }
    });

    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(io, service);
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        debug!(%error, "connection closed with an error");
    }
}

/// TCP stream that sends a reset instead of a normal close when dropped after a
/// [`crate::Fault::Reset`].
struct ResettableStream {
    stream: TcpStream,
    reset_on_drop: Arc<AtomicBool>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset_on_drop.load(Ordering::SeqCst)
            && let Err(error) = self.stream.set_zero_linger()
        {
            warn!(%error, "failed to set SO_LINGER to 0, closing normally instead of resetting");
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
