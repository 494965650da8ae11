//! One row of the benchmark against one target: idle streams, then active visitors posting on
//! an open-loop schedule while their own streams are read back.
//!
//! With two nodes ([`Nodes`]) the visitors are created, start their chats and post on node A
//! and read their streams (idle ones too) on node B, so every delivery crosses nodes. With
//! kills, [`nodes::kill_alternately`] kills and restarts the nodes while the visitors post: a
//! POST that fails with a connection error or a 5xx is retried with the same `client_id` on
//! whichever node is up until it is acknowledged, and a stream that ends is reopened with
//! `Last-Event-ID` on whichever node is up, as a browser's `EventSource` does after the
//! server's `retry` delay.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};

use crate::cli::{Backend, Options, Row};
use crate::nodes::{self, Kills, Launch, Nodes};
use crate::pg::Postgres;
use crate::sse::{Frame, Parser};
use crate::stats::{Summary, summarize};
use crate::system;

/// Longest wait for a setup request (creating a visitor or a chat).
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a stream's first frame.
const OPEN_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for a message POST's answer.
const POST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait, after the last scheduled send, for the posts still in flight.
const IN_FLIGHT_TIMEOUT: Duration = Duration::from_secs(30);
/// A stream that ends is reopened (resuming from the last id it read) at most this often.
const MAX_RECONNECTS: u32 = 50;
/// … and at most this often in a row that kills nodes (it is aborted when the row ends).
const MAX_RECONNECTS_WITH_KILLS: u32 = 100_000;
/// In a row that kills nodes, a message's POST is retried for at most this long.
const RETRY_FOR: Duration = Duration::from_secs(60);
/// Pause before retrying a POST.
const RETRY_PAUSE: Duration = Duration::from_millis(20);
/// A stream read that sees nothing for this long fails (heartbeats come every 15 s).
const STREAM_READ_TIMEOUT: Duration = Duration::from_secs(45);
/// A send starting this much after its scheduled time counts as late.
const LATE: Duration = Duration::from_millis(10);
/// Unreadable frames quoted in the report, at most.
const ERROR_SAMPLES: usize = 5;

/// The server a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Switchboard's public visitor API.
    Switchboard,
    /// The bare axum SSE baseline (`bare-sse`).
    Bare,
}

impl Kind {
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Switchboard => "switchboard",
            Kind::Bare => "bare-sse",
        }
    }
}

/// Everything a row needs besides its sizes.
#[derive(Debug)]
pub struct Context<'a> {
    /// The run's options.
    pub options: &'a Options,
    /// The switchboard binary (None with `--url`).
    pub server_bin: Option<PathBuf>,
    /// This program, re-run as `bare-sse`.
    pub exe: PathBuf,
    /// Where databases go.
    pub tmp: PathBuf,
    /// Clock ticks per second, for CPU figures.
    pub ticks_per_second: u64,
    /// The PostgreSQL cluster, started when a row first needs it.
    pub postgres: Postgres,
}

/// Stream counters, summed over every stream of a row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamTotals {
    /// Frames read (heartbeats, hints and events).
    pub frames: u64,
    /// Heartbeat comments.
    pub heartbeats: u64,
    /// `message_posted` frames with one of this row's client ids.
    pub deliveries: u64,
    /// Other events and signals (chat_started, the first message, typing…).
    pub other_events: u64,
    /// `message_posted` frames whose client id is unknown to the stream's visitor.
    pub foreign: u64,
    /// Frames that could not be read.
    pub parse_errors: u64,
    /// Streams that ended (closed by the server or failed) while the row ran.
    pub ended: u64,
    /// Reopened streams.
    pub reconnects: u64,
    /// Some unreadable frames, quoted.
    pub error_samples: Vec<String>,
}

#[derive(Default)]
struct StreamCounters {
    frames: AtomicU64,
    heartbeats: AtomicU64,
    deliveries: AtomicU64,
    other_events: AtomicU64,
    foreign: AtomicU64,
    parse_errors: AtomicU64,
    ended: AtomicU64,
    reconnects: AtomicU64,
    error_samples: Mutex<Vec<String>>,
}

impl StreamCounters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn parse_error(&self, why: String) {
        Self::bump(&self.parse_errors);
        let mut samples = self
            .error_samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if samples.len() < ERROR_SAMPLES {
            samples.push(why);
        }
    }

    fn totals(&self) -> StreamTotals {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        StreamTotals {
            frames: get(&self.frames),
            heartbeats: get(&self.heartbeats),
            deliveries: get(&self.deliveries),
            other_events: get(&self.other_events),
            foreign: get(&self.foreign),
            parse_errors: get(&self.parse_errors),
            ended: get(&self.ended),
            reconnects: get(&self.reconnects),
            error_samples: self
                .error_samples
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

/// Server memory (VmRSS, bytes) at the points of a row.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Just started.
    pub start: Option<u64>,
    /// Idle visitors created, no stream open yet.
    pub before_streams: Option<u64>,
    /// Every idle stream open, after the settle pause.
    pub after_streams: Option<u64>,
    /// After the active phase.
    pub end: Option<u64>,
}

/// What the active phase measured.
#[derive(Clone, Debug, Default)]
pub struct Active {
    /// Messages scheduled.
    pub offered: u64,
    /// Messages whose POST started.
    pub sent: u64,
    /// Answered 2xx.
    pub acked: u64,
    /// Not answered 2xx, by reason (`HTTP 500`, `timeout`, …).
    pub failures: BTreeMap<String, u64>,
    /// The first answer body of each failing HTTP status (`HTTP 500` → body).
    pub failure_samples: BTreeMap<String, String>,
    /// Read back on the visitor's stream (once or more).
    pub delivered: u64,
    /// Acknowledged but never read back within the drain time.
    pub lost: u64,
    /// Extra copies read back.
    pub duplicated: u64,
    /// Read back although their POST failed.
    pub delivered_unacked: u64,
    /// Messages whose POST was sent more than once (rows that kill nodes).
    pub retried: u64,
    /// POSTs sent beyond each message's first.
    pub extra_attempts: u64,
    /// Why POSTs were retried (`connect error`, `HTTP 503`, …) and how often.
    pub retry_reasons: BTreeMap<String, u64>,
    /// What the kills did (rows that kill nodes).
    pub kills: Option<Kills>,
    /// From the first scheduled send to the last answer, at least the sending time.
    pub window: Duration,
    /// Start of the first POST until read back on the stream.
    pub delivery: Option<Summary>,
    /// Scheduled time until read back (includes waiting for an in-flight slot).
    pub delivery_from_schedule: Option<Summary>,
    /// Start of the first POST until the answer of the last (the only one, without kills).
    pub ack: Option<Summary>,
    /// Sends that started more than 10 ms after their scheduled time.
    pub late_sends: u64,
    /// Largest delay between a scheduled time and its send.
    pub max_send_lag: Duration,
    /// Server CPU during the window (every node's), in percent of one core; None when nodes
    /// were killed.
    pub server_cpu: Option<f64>,
    /// Load client CPU during the window, in percent of one core.
    pub client_cpu: Option<f64>,
}

impl Active {
    /// Acknowledged messages per second over the window.
    pub fn acked_rate(&self) -> f64 {
        match self.window.as_secs_f64() {
            secs if secs > 0.0 => self.acked as f64 / secs,
            _ => 0.0,
        }
    }
}

/// Everything one row measured.
#[derive(Clone, Debug)]
pub struct RowResult {
    /// Which server.
    pub kind: Kind,
    /// The sizes.
    pub row: Row,
    /// Why the row stopped early, if it did.
    pub error: Option<String>,
    /// Server memory (of the node serving the streams).
    pub memory: Memory,
    /// Time to create the idle visitors.
    pub create_time: Duration,
    /// Time to open the idle streams.
    pub open_time: Duration,
    /// Idle streams that opened.
    pub idle_open: usize,
    /// Idle streams that failed to open, with the first reason.
    pub idle_failed: (usize, Option<String>),
    /// Idle streams still open when the active phase ended.
    pub idle_open_at_end: usize,
    /// Connections the kernel dropped from full listen queues during the row (machine-wide).
    pub listen_overflows: Option<u64>,
    /// The active phase.
    pub active: Option<Active>,
    /// Stream counters.
    pub streams: StreamTotals,
}

impl RowResult {
    /// Server bytes per idle stream.
    pub fn bytes_per_stream(&self) -> Option<f64> {
        let (before, after) = (self.memory.before_streams?, self.memory.after_streams?);
        (self.idle_open > 0).then(|| (after as f64 - before as f64) / self.idle_open as f64)
    }
}

/// Aborts its tasks when dropped: closes every stream of a row, whatever happened.
#[derive(Default)]
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// The HTTP clients of a row: pooled keep-alive connections for requests, and one
/// connection per stream.
struct Clients {
    api: reqwest::Client,
    streams: reqwest::Client,
}

impl Clients {
    fn new() -> Result<Self, String> {
        let base = || {
            reqwest::Client::builder()
                .no_proxy()
                .tcp_nodelay(true)
                .connect_timeout(Duration::from_secs(10))
                .user_agent("switchboard-bench")
        };
        Ok(Self {
            api: base()
                .pool_idle_timeout(Duration::from_secs(60))
                .build()
                .map_err(|err| format!("HTTP client: {err}"))?,
            streams: base()
                .pool_max_idle_per_host(0)
                .read_timeout(STREAM_READ_TIMEOUT)
                .build()
                .map_err(|err| format!("HTTP client: {err}"))?,
        })
    }
}

/// Starts the nodes of a row on a fresh database (or takes the `--url` server).
async fn start_nodes(
    context: &Context<'_>,
    kind: Kind,
    row: Row,
    number: usize,
) -> Result<Nodes, String> {
    let launch = match (kind, &context.options.url, &context.server_bin) {
        (Kind::Switchboard, Some(url), _) => {
            return Ok(Nodes::given(url.clone(), context.options.server_pid));
        }
        (Kind::Switchboard, None, Some(bin)) => {
            let dir = context.tmp.join(format!("row-{number}"));
            std::fs::create_dir_all(&dir)
                .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
            let database = match row.backend {
                Some(Backend::Postgres) => context.postgres.new_database().await?,
                Some(Backend::Sqlite) | None => {
                    format!("sqlite://{}", dir.join("bench.db").display())
                }
            };
            Launch {
                program: bin.clone(),
                args: vec![
                    "--bind".into(),
                    "127.0.0.1:0".into(),
                    "--database-url".into(),
                    database,
                    "--visitor-name-optional".into(),
                    // The load visitors all come from this machine, each far faster than a
                    // person types: the limits would measure themselves, not the server.
                    "--no-rate-limits".into(),
                ],
                dir: Some(dir),
            }
        }
        (Kind::Switchboard, None, None) => return Err("no server binary".into()),
        (Kind::Bare, _, _) => Launch {
            program: context.exe.clone(),
            args: vec!["bare-sse".into()],
            dir: None,
        },
    };
    Nodes::start(launch, row.nodes).await
}

/// The progress label of a row: `[switchboard postgres×2 kill/1500ms idle=0 20×200/s]`.
pub fn label(kind: Kind, row: Row) -> String {
    let backend = row
        .backend
        .map_or_else(String::new, |backend| format!(" {}", backend.name()));
    let nodes = match row.nodes {
        1 => String::new(),
        n => format!("×{n}"),
    };
    let kill = row.kill.map_or_else(String::new, |every| {
        format!(" kill/{}ms", every.as_millis())
    });
    format!(
        "[{}{backend}{nodes}{kill} idle={} {}×{}/s]",
        kind.name(),
        row.idle,
        row.load.visitors,
        row.load.rate
    )
}

/// Runs one row on a fresh server (or the `--url` one); never fails, the error is recorded.
pub async fn run_row(context: &Context<'_>, kind: Kind, row: Row, number: usize) -> RowResult {
    let mut result = RowResult {
        kind,
        row,
        error: None,
        memory: Memory::default(),
        create_time: Duration::ZERO,
        open_time: Duration::ZERO,
        idle_open: 0,
        idle_failed: (0, None),
        idle_open_at_end: 0,
        listen_overflows: None,
        active: None,
        streams: StreamTotals::default(),
    };
    let counters = Arc::new(StreamCounters::default());
    let options = context.options;
    // Generous, but bounded: setup scales with the idle streams.
    let limit = Duration::from_secs(600 + row.idle as u64 / 10)
        + row.duration
        + options.drain
        + options.settle
        + IN_FLIGHT_TIMEOUT;
    let overflows_before = system::listen_overflows();
    let outcome = tokio::time::timeout(
        limit,
        measure(context, kind, row, number, &counters, &mut result),
    )
    .await;
    result.error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(err),
        Err(_) => Some(format!("gave up after {} s", limit.as_secs())),
    };
    result.streams = counters.totals();
    result.listen_overflows = system::listen_overflows()
        .zip(overflows_before)
        .map(|(after, before)| after.saturating_sub(before));
    result
}

async fn measure(
    context: &Context<'_>,
    kind: Kind,
    row: Row,
    number: usize,
    counters: &Arc<StreamCounters>,
    result: &mut RowResult,
) -> Result<(), String> {
    let options = context.options;
    let label = label(kind, row);
    let nodes = Arc::new(start_nodes(context, kind, row, number).await?);
    // Visitors are created and post on the first node, and read on the last.
    let (post_node, stream_node) = (0, nodes.len() - 1);
    let clients = Clients::new()?;
    result.memory.start = nodes.rss(stream_node);
    eprintln!("{label} server at {}", nodes.describe());
    let reconnects = match row.kill {
        Some(_) => MAX_RECONNECTS_WITH_KILLS,
        None => MAX_RECONNECTS,
    };
    let post_base = nodes.base(post_node).ok_or("the first node is down")?;

    // Idle visitors, then their streams.
    let started = Instant::now();
    let idle_specs = idle_specs(&clients, kind, &post_base, row.idle, options).await?;
    result.create_time = started.elapsed();
    result.memory.before_streams = nodes.rss(stream_node);
    if row.idle > 0 {
        eprintln!(
            "{label} {} idle visitors in {:.1} s; opening their streams",
            row.idle,
            result.create_time.as_secs_f64()
        );
    }
    let started = Instant::now();
    let opened: Vec<Result<JoinHandle<()>, String>> = stream::iter(idle_specs)
        .map(|(path, token)| {
            let spec = StreamSpec {
                nodes: nodes.clone(),
                node: stream_node,
                path,
                token,
                resume: None,
                max_reconnects: reconnects,
            };
            open_stream(&clients.streams, spec, counters, None)
        })
        .buffer_unordered(options.open_concurrency)
        .collect()
        .await;
    result.open_time = started.elapsed();
    let mut idle = Tasks::default();
    for outcome in opened {
        match outcome {
            Ok(task) => idle.0.push(task),
            Err(err) => {
                result.idle_failed.0 += 1;
                result.idle_failed.1.get_or_insert(err);
            }
        }
    }
    result.idle_open = idle.0.len();
    if row.idle > 0 {
        tokio::time::sleep(options.settle).await;
        result.memory.after_streams = nodes.rss(stream_node);
        eprintln!(
            "{label} {} idle streams open in {:.1} s ({} failed)",
            result.idle_open,
            result.open_time.as_secs_f64(),
            result.idle_failed.0
        );
    }

    // Active visitors: each its chat and its own stream.
    let total = (f64::from(row.load.rate) * row.duration.as_secs_f64()).round() as usize;
    let visitors = row.load.visitors;
    let route = Route {
        nodes: nodes.clone(),
        post_node,
        stream_node,
        retry: row.kill.is_some(),
        reconnects,
    };
    let setups: Vec<Result<ActiveSetup, String>> = stream::iter(0..visitors)
        .map(|index| {
            let count = (total + visitors - 1 - index) / visitors;
            setup_active(&clients, kind, &route, index, count, options, counters)
        })
        .buffer_unordered(options.open_concurrency)
        .collect()
        .await;
    let mut active_streams = Tasks::default();
    let mut actives = Vec::with_capacity(visitors);
    let mut failure = None;
    for setup in setups {
        match setup {
            Ok((visitor, task)) => {
                actives.push(visitor);
                active_streams.0.push(task);
            }
            Err(err) => failure = failure.or(Some(err)),
        }
    }
    if let Some(err) = failure {
        return Err(format!(
            "{} of {visitors} active visitors failed to start; first: {err}",
            visitors - actives.len()
        ));
    }
    actives.sort_by_key(|visitor| visitor.index);
    eprintln!(
        "{label} {visitors} active visitors ready; sending {total} messages over {} s",
        row.duration.as_secs_f64()
    );
    let active = send_and_collect(
        context,
        &clients,
        &nodes,
        &actives,
        active_streams,
        total,
        row,
    )
    .await;
    result.memory.end = nodes.rss(stream_node);
    result.idle_open_at_end = idle.0.iter().filter(|task| !task.is_finished()).count();
    let kills = active.kills.as_ref().map_or_else(String::new, |kills| {
        format!(
            ", {} kills, {} POSTs retried",
            kills.done, active.extra_attempts
        )
    });
    eprintln!(
        "{label} acked {} of {}, delivered {}, lost {}, duplicated {}{kills}",
        active.acked, active.offered, active.delivered, active.lost, active.duplicated
    );
    result.active = Some(active);
    drop(idle);
    Ok(())
}

/// Creates the idle visitors (Switchboard, on the node at `base`) and answers the path and
/// token of each one's stream.
async fn idle_specs(
    clients: &Clients,
    kind: Kind,
    base: &str,
    count: usize,
    options: &Options,
) -> Result<Vec<(String, Option<String>)>, String> {
    match kind {
        Kind::Bare => Ok((0..count)
            .map(|k| (format!("/events?client=idle-{k}"), None))
            .collect()),
        Kind::Switchboard => {
            stream::iter(0..count)
                .map(|_| async move {
                    let token = create_visitor(&clients.api, base).await?;
                    Ok::<_, String>(("/api/v1/visitor/events".to_owned(), Some(token)))
                })
                .buffer_unordered(options.open_concurrency)
                .try_collect()
                .await
        }
    }
}

#[derive(Deserialize)]
struct Created {
    token: String,
}

#[derive(Deserialize)]
struct Chat {
    id: String,
    #[serde(default)]
    events: Vec<EventRef>,
}

#[derive(Deserialize)]
struct EventRef {
    id: i64,
}

/// `POST /api/v1/visitors {}` → the visitor's token.
async fn create_visitor(api: &reqwest::Client, base: &str) -> Result<String, String> {
    let response = api
        .post(format!("{base}/api/v1/visitors"))
        .json(&serde_json::json!({}))
        .timeout(SETUP_TIMEOUT)
        .send()
        .await
        .map_err(|err| format!("creating a visitor: {err}"))?;
    let status = response.status();
    if !status.is_success() {
        let body = response.text().await.unwrap_or_default();
        return Err(format!("creating a visitor: {status} {body}"));
    }
    let created: Created = response
        .json()
        .await
        .map_err(|err| format!("creating a visitor: {err}"))?;
    Ok(created.token)
}

/// Where a row's visitors post and read, and whether they ride out kills.
#[derive(Clone)]
struct Route {
    nodes: Arc<Nodes>,
    /// The node visitors are created on and post to while it is up.
    post_node: usize,
    /// The node visitors read their streams from while it is up.
    stream_node: usize,
    /// Retry failed POSTs (rows that kill nodes).
    retry: bool,
    /// Most stream reconnections.
    reconnects: u32,
}

/// One active visitor and the fate of each of its messages.
struct Visitor {
    index: usize,
    /// Its client ids are this prefix and the message's sequence number.
    prefix: String,
    route: Route,
    /// Its chat's messages, after the node's address.
    post_path: String,
    token: Option<String>,
    slots: Arc<Semaphore>,
    messages: Mutex<Vec<Message>>,
    /// The first answer body of each failing HTTP status.
    failure_samples: Mutex<BTreeMap<u16, String>>,
    /// Why POSTs were retried, and how often.
    retry_reasons: Mutex<BTreeMap<String, u64>>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Message {
    scheduled: Option<Instant>,
    sent: Option<Instant>,
    answered: Option<Instant>,
    outcome: Outcome,
    delivered: Option<Instant>,
    deliveries: u32,
    /// POSTs sent for it (more than one after retries).
    attempts: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Outcome {
    #[default]
    Pending,
    Acked,
    Status(u16),
    Failed(&'static str),
}

impl Visitor {
    fn update(&self, seq: usize, change: impl FnOnce(&mut Message)) -> bool {
        let mut messages = self.messages.lock().unwrap_or_else(PoisonError::into_inner);
        messages.get_mut(seq).map(change).is_some()
    }

    /// Records that the message with `client_id` was read on the stream; false when it is not
    /// one of this visitor's sent messages.
    fn delivered(&self, client_id: &str, at: Instant) -> bool {
        let Some(seq) = client_id
            .strip_prefix(self.prefix.as_str())
            .and_then(|seq| seq.parse::<usize>().ok())
        else {
            return false;
        };
        let mut known = false;
        self.update(seq, |message| {
            if message.sent.is_some() {
                known = true;
                message.deliveries += 1;
                message.delivered.get_or_insert(at);
            }
        });
        known
    }
}

/// An active visitor and the task reading its stream.
type ActiveSetup = (Arc<Visitor>, JoinHandle<()>);

/// Creates an active visitor with its chat (Switchboard) on the posting node, opens its stream
/// on the streaming node.
async fn setup_active(
    clients: &Clients,
    kind: Kind,
    route: &Route,
    index: usize,
    messages: usize,
    options: &Options,
    counters: &Arc<StreamCounters>,
) -> Result<ActiveSetup, String> {
    let stream = |path: String, token: Option<String>, resume: Option<String>| StreamSpec {
        nodes: route.nodes.clone(),
        node: route.stream_node,
        path,
        token,
        resume,
        max_reconnects: route.reconnects,
    };
    let (post_path, token, spec) = match kind {
        Kind::Bare => (
            format!("/send?client=active-{index}"),
            None,
            stream(format!("/events?client=active-{index}"), None, None),
        ),
        Kind::Switchboard => {
            let base = route
                .nodes
                .base(route.post_node)
                .ok_or("the posting node is down")?;
            let token = create_visitor(&clients.api, &base).await?;
            let response = clients
                .api
                .post(format!("{base}/api/v1/visitor/chats"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"name": "Bench", "message": "hello"}))
                .timeout(SETUP_TIMEOUT)
                .send()
                .await
                .map_err(|err| format!("starting a chat: {err}"))?;
            let status = response.status();
            if !status.is_success() {
                let body = response.text().await.unwrap_or_default();
                return Err(format!("starting a chat: {status} {body}"));
            }
            let chat: Chat = response
                .json()
                .await
                .map_err(|err| format!("starting a chat: {err}"))?;
            // Resume after the chat's own events, as the bubble does: nothing is missed even
            // if the stream has to reconnect (or opens on another node).
            let resume = chat.events.iter().map(|event| event.id).max();
            (
                format!("/api/v1/visitor/chats/{}/messages", chat.id),
                Some(token.clone()),
                stream(
                    "/api/v1/visitor/events".into(),
                    Some(token),
                    resume.map(|id| id.to_string()),
                ),
            )
        }
    };
    let visitor = Arc::new(Visitor {
        index,
        prefix: format!("v{index}-"),
        route: route.clone(),
        post_path,
        token,
        slots: Arc::new(Semaphore::new(options.in_flight)),
        messages: Mutex::new(vec![Message::default(); messages]),
        failure_samples: Mutex::default(),
        retry_reasons: Mutex::default(),
    });
    let task = open_stream(&clients.streams, spec, counters, Some(visitor.clone())).await?;
    Ok((visitor, task))
}

/// Sends on the open-loop schedule (killing nodes meanwhile if the row says so), waits for
/// the answers and the deliveries, closes the visitors' `streams` and tallies.
async fn send_and_collect(
    context: &Context<'_>,
    clients: &Clients,
    nodes: &Arc<Nodes>,
    visitors: &[Arc<Visitor>],
    streams: Tasks,
    total: usize,
    row: Row,
) -> Active {
    let options = context.options;
    let me = std::process::id();
    let start = Instant::now() + Duration::from_millis(100);
    let rate = f64::from(row.load.rate);
    let cpu_before = (nodes.cpu_ticks(), system::cpu_ticks(me));
    let (stop_killing, killing) = oneshot::channel();
    let killer = row
        .kill
        .map(|every| tokio::spawn(nodes::kill_alternately(nodes.clone(), every, killing)));
    let mut sends = JoinSet::new();
    for (number, visitor) in (0..total).zip(visitors.iter().cycle()) {
        let scheduled = start + Duration::from_secs_f64(number as f64 / rate);
        tokio::time::sleep_until(scheduled.into()).await;
        let seq = number / visitors.len();
        sends.spawn(send_one(
            clients.api.clone(),
            visitor.clone(),
            seq,
            scheduled,
        ));
    }
    let _ = tokio::time::timeout(IN_FLIGHT_TIMEOUT, async {
        while sends.join_next().await.is_some() {}
    })
    .await;
    sends.abort_all();
    let answered = Instant::now();
    let cpu_after = (nodes.cpu_ticks(), system::cpu_ticks(me));
    // Stop killing; a restart under way finishes, so the streams can catch up in the drain.
    let _ = stop_killing.send(());
    let kills = match killer {
        Some(killer) => Some(killer.await.unwrap_or_else(|err| Kills {
            error: Some(format!("the killing task failed: {err}")),
            ..Kills::default()
        })),
        None => None,
    };
    let window = answered.saturating_duration_since(start).as_secs_f64();
    let percent = |before: Option<u64>, after: Option<u64>| {
        let ticks = after?.checked_sub(before?)?;
        (window > 0.0).then(|| ticks as f64 / context.ticks_per_second as f64 / window * 100.0)
    };
    // Killed nodes took their CPU time with them.
    let server_cpu = match kills {
        Some(_) => None,
        None => percent(cpu_before.0, cpu_after.0),
    };
    let client_cpu = percent(cpu_before.1, cpu_after.1);

    // Deliveries may trail the answers: wait until every acknowledged message is read back.
    let deadline = answered + options.drain;
    while Instant::now() < deadline && !all_delivered(visitors) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Stop reading, so that the stream counters and the tally below agree.
    drop(streams);

    let mut active = Active {
        offered: total as u64,
        server_cpu,
        client_cpu,
        kills,
        ..Active::default()
    };
    let (mut delivery, mut from_schedule, mut ack) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_answer = start;
    for visitor in visitors {
        let samples = visitor
            .failure_samples
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (status, body) in samples.iter() {
            active
                .failure_samples
                .entry(format!("HTTP {status}"))
                .or_insert_with(|| body.clone());
        }
        drop(samples);
        let reasons = visitor
            .retry_reasons
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (why, count) in reasons.iter() {
            *active.retry_reasons.entry(why.clone()).or_default() += count;
        }
        drop(reasons);
        let messages = visitor
            .messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for message in messages.iter() {
            let (Some(sent), Some(scheduled)) = (message.sent, message.scheduled) else {
                continue;
            };
            active.sent += 1;
            if message.attempts > 1 {
                active.retried += 1;
                active.extra_attempts += u64::from(message.attempts - 1);
            }
            let lag = sent.saturating_duration_since(scheduled);
            active.max_send_lag = active.max_send_lag.max(lag);
            if lag > LATE {
                active.late_sends += 1;
            }
            if let Some(answered) = message.answered {
                last_answer = last_answer.max(answered);
            }
            let acked = match (message.outcome, message.answered) {
                (Outcome::Acked, Some(answered)) => {
                    active.acked += 1;
                    ack.push(answered.saturating_duration_since(sent));
                    true
                }
                (outcome, _) => {
                    let why = match outcome {
                        Outcome::Status(status) => format!("HTTP {status}"),
                        Outcome::Failed(why) => why.to_owned(),
                        Outcome::Acked | Outcome::Pending => "no answer".to_owned(),
                    };
                    *active.failures.entry(why).or_default() += 1;
                    false
                }
            };
            match message.delivered {
                Some(delivered) => {
                    active.delivered += 1;
                    delivery.push(delivered.saturating_duration_since(sent));
                    from_schedule.push(delivered.saturating_duration_since(scheduled));
                    if !acked {
                        active.delivered_unacked += 1;
                    }
                }
                None if acked => active.lost += 1,
                None => {}
            }
            active.duplicated += u64::from(message.deliveries.saturating_sub(1));
        }
    }
    // At least the sending time: n messages due every 1/rate span (n-1)/rate.
    active.window = last_answer
        .saturating_duration_since(start)
        .max(row.duration);
    active.delivery = summarize(delivery);
    active.delivery_from_schedule = summarize(from_schedule);
    active.ack = summarize(ack);
    active
}

fn all_delivered(visitors: &[Arc<Visitor>]) -> bool {
    visitors.iter().all(|visitor| {
        let messages = visitor
            .messages
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        messages
            .iter()
            .all(|m| m.outcome != Outcome::Acked || m.delivered.is_some())
    })
}

/// Posts one message once an in-flight slot of its visitor is free; in a row that kills
/// nodes, retries it with the same `client_id` on whichever node is up until it is
/// acknowledged (or refused with a 4xx, or [`RETRY_FOR`] has passed).
async fn send_one(api: reqwest::Client, visitor: Arc<Visitor>, seq: usize, scheduled: Instant) {
    let Ok(_slot) = visitor.slots.clone().acquire_owned().await else {
        return;
    };
    let sent = Instant::now();
    visitor.update(seq, |message| {
        message.scheduled = Some(scheduled);
        message.sent = Some(sent);
    });
    let body = serde_json::json!({
        "body": format!("Bench message {seq} from visitor {}: how long does this take?", visitor.index),
        "client_id": format!("{}{seq}", visitor.prefix),
    });
    let mut attempts = 0;
    let outcome = loop {
        attempts += 1;
        let (outcome, retryable) = match visitor.route.nodes.route(visitor.route.post_node) {
            Some(base) => post_once(&api, &visitor, &base, &body).await,
            None => (Outcome::Failed("no node up"), true),
        };
        if !(retryable && visitor.route.retry && sent.elapsed() < RETRY_FOR) {
            break outcome;
        }
        let why = match outcome {
            Outcome::Status(status) => format!("HTTP {status}"),
            Outcome::Failed(why) => why.to_owned(),
            Outcome::Acked | Outcome::Pending => "no answer".to_owned(),
        };
        *visitor
            .retry_reasons
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(why)
            .or_default() += 1;
        tokio::time::sleep(RETRY_PAUSE).await;
    };
    let answered = Instant::now();
    visitor.update(seq, |message| {
        message.answered = Some(answered);
        message.outcome = outcome;
        message.attempts = attempts;
    });
}

/// One POST of a message to the node at `base`: its outcome, and whether it is worth retrying
/// (a connection error, a timeout, an unreadable answer or a 5xx).
async fn post_once(
    api: &reqwest::Client,
    visitor: &Visitor,
    base: &str,
    body: &serde_json::Value,
) -> (Outcome, bool) {
    let mut request = api
        .post(format!("{base}{}", visitor.post_path))
        .json(body)
        .timeout(POST_TIMEOUT);
    if let Some(token) = &visitor.token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            let read = response.bytes().await;
            match (status.is_success(), read) {
                (true, Ok(_)) => (Outcome::Acked, false),
                (true, Err(_)) => (Outcome::Failed("answer body unreadable"), true),
                (false, read) => {
                    let body = read.map_or_else(
                        |err| format!("(unreadable: {err})"),
                        |body| String::from_utf8_lossy(&body).chars().take(300).collect(),
                    );
                    visitor
                        .failure_samples
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .entry(status.as_u16())
                        .or_insert(body);
                    (Outcome::Status(status.as_u16()), status.is_server_error())
                }
            }
        }
        Err(err) if err.is_timeout() => (Outcome::Failed("timeout"), true),
        Err(err) if err.is_connect() => (Outcome::Failed("connect error"), true),
        Err(_) => (Outcome::Failed("request error"), true),
    }
}

/// Where a stream is read from.
#[derive(Clone, Debug)]
struct StreamSpec {
    nodes: Arc<Nodes>,
    /// The node it is read from while that node is up.
    node: usize,
    /// The stream's path, after the node's address.
    path: String,
    token: Option<String>,
    /// `Last-Event-ID` of the first request.
    resume: Option<String>,
    /// Most reconnections.
    max_reconnects: u32,
}

/// Starts reading a stream; answers once its first frame arrived.
async fn open_stream(
    client: &reqwest::Client,
    spec: StreamSpec,
    counters: &Arc<StreamCounters>,
    visitor: Option<Arc<Visitor>>,
) -> Result<JoinHandle<()>, String> {
    let (opened, first_frame) = oneshot::channel();
    let task = tokio::spawn(follow(
        client.clone(),
        spec,
        counters.clone(),
        visitor,
        opened,
    ));
    let outcome = tokio::time::timeout(OPEN_TIMEOUT, first_frame).await;
    match outcome {
        Ok(Ok(Ok(()))) => Ok(task),
        Ok(Ok(Err(err))) => {
            task.abort();
            Err(err)
        }
        Ok(Err(_)) => {
            task.abort();
            Err("the stream ended before its first frame".into())
        }
        Err(_) => {
            task.abort();
            Err(format!(
                "no first frame within {} s",
                OPEN_TIMEOUT.as_secs()
            ))
        }
    }
}

/// Reads a stream until aborted, reopening it (from the last id read, after the server's
/// `retry` delay, on its node or else on whichever is up) when it ends or cannot be opened.
async fn follow(
    client: reqwest::Client,
    spec: StreamSpec,
    counters: Arc<StreamCounters>,
    visitor: Option<Arc<Visitor>>,
    opened: oneshot::Sender<Result<(), String>>,
) {
    let mut opened = Some(opened);
    let mut last_id = spec.resume.clone();
    let mut retry = Duration::from_secs(1);
    let mut frames = Vec::new();
    for attempt in 0..=spec.max_reconnects {
        if attempt > 0 {
            StreamCounters::bump(&counters.reconnects);
            tokio::time::sleep(retry).await;
        }
        let Some(base) = spec.nodes.route(spec.node) else {
            match opened.take() {
                Some(opened) => {
                    let _ = opened.send(Err("no node is up".into()));
                    return;
                }
                None => continue,
            }
        };
        let mut request = client
            .get(format!("{base}{}", spec.path))
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(token) = &spec.token {
            request = request.bearer_auth(token);
        }
        if let Some(id) = &last_id {
            request = request.header("Last-Event-ID", id);
        }
        let mut response = match request.send().await {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                let why = format!("opening the stream: HTTP {}", response.status());
                match opened.take() {
                    Some(opened) => {
                        let _ = opened.send(Err(why));
                        return;
                    }
                    None => continue,
                }
            }
            Err(err) => match opened.take() {
                Some(opened) => {
                    let _ = opened.send(Err(format!("opening the stream: {err}")));
                    return;
                }
                None => continue,
            },
        };
        let mut parser = Parser::default();
        while let Ok(Some(bytes)) = response.chunk().await {
            let now = Instant::now();
            parser.push(&bytes, &mut frames);
            for frame in frames.drain(..) {
                if let Some(opened) = opened.take() {
                    let _ = opened.send(Ok(()));
                }
                StreamCounters::bump(&counters.frames);
                match frame {
                    Ok(frame) => handle(
                        frame,
                        &counters,
                        visitor.as_deref(),
                        &mut last_id,
                        &mut retry,
                        now,
                    ),
                    Err(why) => counters.parse_error(why),
                }
            }
        }
        StreamCounters::bump(&counters.ended);
        if let Some(opened) = opened.take() {
            let _ = opened.send(Err("the stream ended before its first frame".into()));
            return;
        }
    }
}

/// Counts one frame and, for a message of the stream's own visitor, records its delivery.
fn handle(
    mut frame: Frame,
    counters: &StreamCounters,
    visitor: Option<&Visitor>,
    last_id: &mut Option<String>,
    retry: &mut Duration,
    at: Instant,
) {
    if let Some(ms) = frame.retry {
        *retry = Duration::from_millis(ms);
    }
    let Some(data) = frame.data.take() else {
        if frame.id.is_some() || frame.event.is_some() {
            counters.parse_error(format!("a frame without data: {frame:?}"));
        } else if frame.comments > 0 {
            StreamCounters::bump(&counters.heartbeats);
        }
        return;
    };
    if let Some(id) = frame.id {
        *last_id = Some(id);
    }
    let value: serde_json::Value = match serde_json::from_str(&data) {
        Ok(value) => value,
        Err(err) => {
            let quoted: String = data.chars().take(200).collect();
            counters.parse_error(format!("data is not JSON ({err}): {quoted}"));
            return;
        }
    };
    let client_id = value.get("client_id").and_then(serde_json::Value::as_str);
    match (frame.event.as_deref(), client_id) {
        (Some("message_posted"), Some(client_id)) => {
            if visitor.is_some_and(|visitor| visitor.delivered(client_id, at)) {
                StreamCounters::bump(&counters.deliveries);
            } else {
                StreamCounters::bump(&counters.foreign);
            }
        }
        _ => StreamCounters::bump(&counters.other_events),
    }
}
