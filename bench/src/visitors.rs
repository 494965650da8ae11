//! The Visitors page at scale (O25). Every visitor of a customer's site holds a live channel, and
//! an operator's Visitors page has to stay quick and live with ten thousand of them on the site.
//!
//! This target starts Switchboard on a fresh SQLite file and brings `--online` visitors onto the
//! site: each registers, reports a page view and keeps its live channel open. From the first
//! admin's console session it then times what the page asks the server — the first page of the
//! list, a search, the count on the sidebar badge — one request at a time, next to `/healthz` on
//! the same server as the floor of a round trip. Last, the visitors browse (`--browse` page
//! views a second for `--duration`) while the operator's console stream counts the
//! `visitors_changed` signals it receives: the server coalesces them to about one a second per
//! console, whatever the rate of page views, so that ten thousand browsing visitors cost each
//! console one refresh a second.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{Value, json};

use crate::load::Context;
use crate::stats::{Summary, ms, summarize};
use crate::system;

const ADMIN: &str = "bench@example.com";
const PASSWORD: &str = "a-bench-password";
/// Requests timed for each of the list, the search and the count.
const SAMPLES: usize = 40;
/// Every tenth visitor looks at the pricing page: what the timed search finds.
const SEARCH: &str = "pricing";
const SETUP_TIMEOUT: Duration = Duration::from_secs(60);

/// What one run of the target measured.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Visitors brought onto the site.
    pub online: usize,
    /// How long bringing them took.
    pub setup: Duration,
    /// The list's total, as the first page reported it.
    pub listed: u64,
    /// The search's total.
    pub found: u64,
    /// The first page of the list.
    pub list: Option<Summary>,
    /// A search of the list.
    pub search: Option<Summary>,
    /// The count on the sidebar badge.
    pub count: Option<Summary>,
    /// `GET /healthz` on the same server and client: the floor of a round trip.
    pub floor: Option<Summary>,
    /// The server's memory with everyone on the site.
    pub rss: Option<u64>,
    /// Page views accepted while browsing.
    pub page_views: u64,
    /// How long they browsed.
    pub browsed: Duration,
    /// `visitors_changed` signals the console received meanwhile.
    pub signals: u64,
    /// Why the run stopped early, if it did.
    pub error: Option<String>,
}

/// Runs the target on the context's server binary.
pub async fn run(context: &Context<'_>) -> Outcome {
    let mut outcome = Outcome {
        online: context.options.online,
        ..Outcome::default()
    };
    if let Err(err) = measure(context, &mut outcome).await {
        outcome.error = Some(err);
    }
    outcome
}

async fn measure(context: &Context<'_>, outcome: &mut Outcome) -> Result<(), String> {
    let options = context.options;
    let bin = context
        .server_bin
        .clone()
        .ok_or("the visitors target starts its own server: give --server-bin, not --url")?;
    let dir = context.tmp.join("visitors");
    std::fs::create_dir_all(&dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let mut command = Command::new(&bin);
    command.current_dir(&dir).args([
        "--bind",
        "127.0.0.1:0",
        "--database-url",
        &format!("sqlite://{}", dir.join("bench.db").display()),
        "--admin-email",
        ADMIN,
        // Every visitor comes from this machine, far faster than people browse.
        "--no-rate-limits",
    ]);
    let server = crate::child::spawn(command, SETUP_TIMEOUT)?;
    let base = server.base.clone();
    let api = client(false)?;
    let cookie = sign_in(&api, &base).await?;

    eprintln!(
        "[visitors] bringing {} visitors onto the site",
        outcome.online
    );
    let started = Instant::now();
    let streams = client(true)?;
    let tokens: Vec<String> = stream::iter(0..outcome.online)
        .map(|k| arrive(&api, &streams, &base, k))
        .buffer_unordered(options.open_concurrency)
        .try_collect()
        .await?;
    // The badge counts them once each node has marked their channels.
    loop {
        let on_site = console(&api, &base, &cookie, "visitors_on_site", None)
            .await?
            .as_u64()
            .unwrap_or(0);
        if on_site >= outcome.online as u64 {
            break;
        }
        if started.elapsed() > SETUP_TIMEOUT * 5 {
            return Err(format!(
                "only {on_site} of {} visitors show as on the site",
                outcome.online
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    outcome.setup = started.elapsed();
    outcome.rss = system::rss_bytes(server.pid);

    eprintln!("[visitors] timing the list, a search and the count, {SAMPLES} each");
    let list = json!({"filter": {"text": "", "offset": 0}});
    let search = json!({"filter": {"text": SEARCH, "offset": 0}});
    let (times, first) = timed(&api, &base, &cookie, "live_visitors", Some(&list)).await?;
    outcome.list = summarize(times);
    outcome.listed = first["total"].as_u64().unwrap_or(0);
    let (times, first) = timed(&api, &base, &cookie, "live_visitors", Some(&search)).await?;
    outcome.search = summarize(times);
    outcome.found = first["total"].as_u64().unwrap_or(0);
    let (times, _) = timed(&api, &base, &cookie, "visitors_on_site", None).await?;
    outcome.count = summarize(times);
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let response = api
            .get(format!("{base}/healthz"))
            .send()
            .await
            .map_err(|err| format!("healthz: {err}"))?;
        let _ = response.bytes().await;
        times.push(started.elapsed());
    }
    outcome.floor = summarize(times);

    eprintln!(
        "[visitors] browsing at {} page views/s for {} s",
        options.browse_rate,
        options.duration.as_secs_f64()
    );
    let signals = Arc::new(AtomicU64::new(0));
    let listener = listen(&streams, &api, &base, &cookie, signals.clone()).await?;
    let before = signals.load(Ordering::Relaxed);
    let views = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(
        1.0 / options.browse_rate.max(1) as f64,
    ));
    let mut sent = 0usize;
    let mut pending = Vec::new();
    while started.elapsed() < options.duration {
        tick.tick().await;
        let token = tokens[(sent * 7919) % tokens.len()].clone();
        let (api, base, views) = (api.clone(), base.clone(), views.clone());
        pending.push(tokio::spawn(async move {
            if page_view(&api, &base, &token, sent).await.is_ok() {
                views.fetch_add(1, Ordering::Relaxed);
            }
        }));
        sent += 1;
    }
    for task in pending {
        let _ = task.await;
    }
    outcome.browsed = started.elapsed();
    // A last coalesced signal may follow the last page view by up to a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    outcome.page_views = views.load(Ordering::Relaxed);
    outcome.signals = signals.load(Ordering::Relaxed) - before;
    listener.abort();
    drop(server);
    Ok(())
}

fn client(streams: bool) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(10))
        .user_agent("switchboard-bench");
    // One connection per live channel, held for the run.
    let builder = if streams {
        builder.pool_max_idle_per_host(0)
    } else {
        builder.timeout(SETUP_TIMEOUT)
    };
    builder.build().map_err(|err| format!("HTTP client: {err}"))
}

/// Signs the first admin in and sets their password: the session cookie.
async fn sign_in(api: &reqwest::Client, base: &str) -> Result<String, String> {
    let response = api
        .post(format!("{base}/api/login"))
        .form(&[("input[email]", ADMIN), ("input[password]", "password")])
        .send()
        .await
        .map_err(|err| format!("signing in: {err}"))?;
    if !response.status().is_success() {
        return Err(format!("signing in: {}", response.status()));
    }
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .ok_or("signing in: no session cookie")?
        .to_owned();
    let response = api
        .post(format!("{base}/api/change_password"))
        .header("cookie", &cookie)
        .form(&[
            ("input[current]", "password"),
            ("input[new_password]", PASSWORD),
            ("input[confirm]", PASSWORD),
        ])
        .send()
        .await
        .map_err(|err| format!("setting the password: {err}"))?;
    if !response.status().is_success() {
        return Err(format!("setting the password: {}", response.status()));
    }
    Ok(cookie)
}

/// Calls a console server function (JSON in when `body` is given, else an empty form).
async fn console(
    api: &reqwest::Client,
    base: &str,
    cookie: &str,
    function: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let request = api
        .post(format!("{base}/api/{function}"))
        .header("cookie", cookie);
    let request = match body {
        Some(body) => request.json(body),
        None => request.form(&[("", ""); 0]),
    };
    let response = request
        .send()
        .await
        .map_err(|err| format!("{function}: {err}"))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|err| format!("{function}: {err}"))?;
    if !status.is_success() {
        return Err(format!("{function}: {status} {text}"));
    }
    serde_json::from_str(&text).map_err(|err| format!("{function}: {err}"))
}

/// `SAMPLES` calls one after another: their times, and the first answer.
async fn timed(
    api: &reqwest::Client,
    base: &str,
    cookie: &str,
    function: &str,
    body: Option<&Value>,
) -> Result<(Vec<Duration>, Value), String> {
    let mut times = Vec::with_capacity(SAMPLES);
    let mut first = Value::Null;
    for k in 0..SAMPLES {
        let started = Instant::now();
        let answer = console(api, base, cookie, function, body).await?;
        times.push(started.elapsed());
        if k == 0 {
            first = answer;
        }
    }
    Ok((times, first))
}

/// A visitor arrives: registers, reports their page and opens their live channel (kept open,
/// read and discarded, until the run ends).
async fn arrive(
    api: &reqwest::Client,
    streams: &reqwest::Client,
    base: &str,
    k: usize,
) -> Result<String, String> {
    let response = api
        .post(format!("{base}/api/v1/visitors"))
        .json(&json!({}))
        .send()
        .await
        .map_err(|err| format!("creating a visitor: {err}"))?;
    if !response.status().is_success() {
        return Err(format!("creating a visitor: {}", response.status()));
    }
    let created: Value = response
        .json()
        .await
        .map_err(|err| format!("creating a visitor: {err}"))?;
    let token = created["token"]
        .as_str()
        .ok_or("creating a visitor: no token")?
        .to_owned();
    page_view(api, base, &token, k).await?;
    let mut channel = streams
        .get(format!("{base}/api/v1/visitor/events"))
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|err| format!("opening a live channel: {err}"))?;
    if !channel.status().is_success() {
        return Err(format!("opening a live channel: {}", channel.status()));
    }
    tokio::spawn(async move { while let Ok(Some(_)) = channel.chunk().await {} });
    Ok(token)
}

/// One page view: every tenth visitor on the pricing page, the others in the catalogue.
async fn page_view(api: &reqwest::Client, base: &str, token: &str, k: usize) -> Result<(), String> {
    let (path, title) = if k.is_multiple_of(10) {
        ("pricing", "Pricing")
    } else {
        ("catalogue", "Catalogue")
    };
    let response = api
        .post(format!("{base}/api/v1/visitor/page"))
        .bearer_auth(token)
        .json(&json!({
            "url": format!("https://shop.example/{path}?item={k}"),
            "title": title,
            "referrer": "https://search.example/",
            "language": "en-GB",
        }))
        .send()
        .await
        .map_err(|err| format!("page view: {err}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("page view: {}", response.status()))
    }
}

/// The operator's console stream, counting `visitors_changed` signals.
async fn listen(
    streams: &reqwest::Client,
    api: &reqwest::Client,
    base: &str,
    cookie: &str,
    signals: Arc<AtomicU64>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let snapshot = console(api, base, cookie, "load_console", None).await?;
    let from = snapshot["last_event_id"].as_i64().unwrap_or(0);
    let mut response = streams
        .get(format!("{base}/api/console/events?last_event_id={from}"))
        .header("cookie", cookie)
        .send()
        .await
        .map_err(|err| format!("console stream: {err}"))?;
    if !response.status().is_success() {
        return Err(format!("console stream: {}", response.status()));
    }
    Ok(tokio::spawn(async move {
        let mut parser = crate::sse::Parser::default();
        let mut frames = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            parser.push(&chunk, &mut frames);
            for frame in frames.drain(..).flatten() {
                if frame.event.as_deref() == Some("visitors_changed") {
                    signals.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }))
}

/// The report's section.
pub fn render(outcome: &Outcome, options: &crate::cli::Options) -> String {
    let mut out = format!(
        "\n## Visitors page ({} visitors on the site, SQLite)\n\n",
        outcome.online
    );
    if let Some(err) = &outcome.error {
        out.push_str(&format!("Stopped: {err}\n\n"));
    }
    out.push_str(&format!(
        "Each visitor registered, reported a page view and kept its live channel open; all \
         {} showed on the operator's badge {:.1} s after the first arrived (server memory then: {}).\n\n",
        outcome.online,
        outcome.setup.as_secs_f64(),
        outcome
            .rss
            .map_or_else(|| "unknown".into(), |rss| format!("{} MiB", system::mib(rss)))
    ));
    out.push_str("| Request (one at a time, from the operator's session) | Samples | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n");
    for (what, summary) in [
        (
            format!("Visitors list, first page (of {})", outcome.listed),
            &outcome.list,
        ),
        (
            format!("Search \"{SEARCH}\" ({} found)", outcome.found),
            &outcome.search,
        ),
        ("Count on the sidebar badge".to_owned(), &outcome.count),
        (
            "Baseline: `GET /healthz`, same server and client".to_owned(),
            &outcome.floor,
        ),
    ] {
        match summary {
            Some(s) => out.push_str(&format!(
                "| {what} | {} | {} | {} | {} | {} |\n",
                s.count,
                ms(s.p50),
                ms(s.p90),
                ms(s.p99),
                ms(s.max)
            )),
            None => out.push_str(&format!("| {what} | 0 | – | – | – | – |\n")),
        }
    }
    let seconds = outcome.browsed.as_secs_f64().max(f64::EPSILON);
    out.push_str(&format!(
        "\nThen they browsed, {} page views a second offered for {} s: {} accepted ({:.0}/s), and the \
         operator's console stream received {} `visitors_changed` signals ({:.2} a second).\n",
        options.browse_rate,
        options.duration.as_secs_f64(),
        outcome.page_views,
        outcome.page_views as f64 / seconds,
        outcome.signals,
        outcome.signals as f64 / seconds
    ));
    out
}
