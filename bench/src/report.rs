//! The Markdown report.

use std::fmt::{self, Write};

use std::time::Duration;

use crate::commit::CommitResult;
use crate::load::{Active, Kind, RowResult, label};
use crate::stats::{Summary, ms, summarize};
use crate::system::{Machine, mib};

/// The product's goal for deliveries across nodes: this rate…
const CROSS_GOAL_RATE: u32 = 500;
/// … with at most this p99 delivery latency.
const CROSS_GOAL_P99: Duration = Duration::from_millis(50);

/// Everything the report shows besides the measurements.
#[derive(Debug)]
pub struct Header {
    /// When the run started (UTC).
    pub date: String,
    /// The command line, quoted for a shell.
    pub command: String,
    /// The machine.
    pub machine: Machine,
    /// RLIMIT_NOFILE after raising it.
    pub open_files: Option<(u64, u64)>,
    /// What is measured and where its databases live.
    pub server: String,
    /// The PostgreSQL cluster, if one was started.
    pub postgres: Option<String>,
    /// Load client settings.
    pub client: String,
    /// Load averages when the run started and ended.
    pub load_average: (String, String),
}

/// Renders the report.
pub fn render(
    header: &Header,
    rows: &[RowResult],
    commits: &[Result<CommitResult, String>],
) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_report(&mut out, header, rows, commits);
    out
}

fn write_report(
    out: &mut String,
    header: &Header,
    rows: &[RowResult],
    commits: &[Result<CommitResult, String>],
) -> fmt::Result {
    let machine = &header.machine;
    writeln!(out, "# Switchboard delivery benchmark\n")?;
    writeln!(out, "- Date: {}", header.date)?;
    writeln!(out, "- Command: `{}`", header.command)?;
    writeln!(
        out,
        "- Machine: {} CPUs (nproc), {}, {} GiB RAM, Linux {}",
        machine.cpus,
        machine.cpu_model,
        machine.memory.map_or_else(
            || "?".into(),
            |bytes| format!("{:.1}", bytes as f64 / (1u64 << 30) as f64)
        ),
        machine.kernel
    )?;
    if let Some((soft, hard)) = header.open_files {
        writeln!(
            out,
            "- Open files limit (soft/hard, inherited by the servers): {soft}/{hard}"
        )?;
    }
    writeln!(out, "- Server: {}", header.server)?;
    if let Some(postgres) = &header.postgres {
        writeln!(out, "- PostgreSQL: {postgres}")?;
    }
    writeln!(out, "- Load client: {}", header.client)?;
    writeln!(
        out,
        "- Load average (1/5/15 min) at start: {}; at end: {}",
        header.load_average.0, header.load_average.1
    )?;

    let single: Vec<&RowResult> = rows.iter().filter(|row| row.row.nodes == 1).collect();
    let cross: Vec<&RowResult> = rows
        .iter()
        .filter(|row| row.row.nodes > 1 && row.row.kill.is_none())
        .collect();
    let killed: Vec<&RowResult> = rows.iter().filter(|row| row.row.kill.is_some()).collect();
    if !single.is_empty() {
        writeln!(
            out,
            "\n## Delivery latency: POST until read on the visitor's own stream\n"
        )?;
        writeln!(
            out,
            "| Target | Backend | Idle streams | Visitors | Offered msg/s | Sent | Acked msg/s | \
             Delivered | Lost | Dup | Failed | p50 ms | p90 ms | p99 ms | max ms | Ack p50 ms | \
             Ack p99 ms | Server CPU % | Client CPU % |"
        )?;
        writeln!(out, "|{}", "---|".repeat(19))?;
        for row in &single {
            let head = format!(
                "| {} | {} | {} | {} | {} |",
                row.kind.name(),
                backend(row),
                row.row.idle,
                row.row.load.visitors,
                row.row.load.rate
            );
            match &row.active {
                Some(active) => writeln!(out, "{head} {}", delivery_cells(active))?,
                None => writeln!(out, "{head} {}", "— |".repeat(14))?,
            }
        }
    }

    if !cross.is_empty() {
        writeln!(
            out,
            "\n## Across nodes: POST on node A until read on the visitor's stream on node B\n"
        )?;
        writeln!(
            out,
            "Two server processes on one PostgreSQL database; the goal is {CROSS_GOAL_RATE} msg/s \
             with p99 ≤ {} ms. Server CPU is both nodes' together.\n",
            CROSS_GOAL_P99.as_millis()
        )?;
        writeln!(
            out,
            "| Backend | Nodes | Idle streams | Visitors | Offered msg/s | Sent | Acked msg/s | \
             Delivered | Lost | Dup | Failed | p50 ms | p90 ms | p99 ms | max ms | Ack p50 ms | \
             Ack p99 ms | Server CPU % | Client CPU % | Goal |"
        )?;
        writeln!(out, "|{}", "---|".repeat(20))?;
        for row in &cross {
            let head = format!(
                "| {} | {} | {} | {} | {} |",
                backend(row),
                row.row.nodes,
                row.row.idle,
                row.row.load.visitors,
                row.row.load.rate
            );
            match &row.active {
                Some(active) => writeln!(
                    out,
                    "{head} {} {} |",
                    delivery_cells(active),
                    goal(row.row.load.rate, active)
                )?,
                None => writeln!(out, "{head} {}", "— |".repeat(15))?,
            }
        }
    }

    if !killed.is_empty() {
        writeln!(
            out,
            "\n## Node kills: one node killed (SIGKILL) and restarted every interval, alternately\n"
        )?;
        writeln!(
            out,
            "Visitors post on node A and read on node B while each is up, else on the other; a \
             POST that fails (connection error, 5xx) is retried with the same `client_id`, a \
             stream that ends reopens with `Last-Event-ID` after the server's `retry` delay. \
             Latency runs from the first POST and includes the outages; what matters here is \
             *Lost* and *Dup*.\n"
        )?;
        writeln!(
            out,
            "| Backend | Idle streams | Visitors | Offered msg/s | Sending s | Kill every ms | \
             Kills | Restart p50 ms | Restart max ms | Sent | Acked | Retried msgs | Extra POSTs | \
             Delivered | Lost | Dup | Failed | Stream reconnects | p50 ms | p99 ms | max ms |"
        )?;
        writeln!(out, "|{}", "---|".repeat(21))?;
        for row in &killed {
            let every = row.row.kill.map_or(0, |every| every.as_millis());
            let head = format!(
                "| {} | {} | {} | {} | {} | {every} |",
                backend(row),
                row.row.idle,
                row.row.load.visitors,
                row.row.load.rate,
                row.row.duration.as_secs_f64(),
            );
            let Some(active) = &row.active else {
                writeln!(out, "{head} {}", "— |".repeat(15))?;
                continue;
            };
            let (kills, restart50, restart_max) = active.kills.as_ref().map_or_else(
                || ("—".into(), "—".into(), "—".into()),
                |kills| {
                    let (p50, _, _, max) = quartet(summarize(kills.downtimes.clone()));
                    (kills.done.to_string(), p50, max)
                },
            );
            let failed: u64 = active.failures.values().sum();
            let (p50, _, p99, max) = quartet(active.delivery);
            writeln!(
                out,
                "{head} {kills} | {restart50} | {restart_max} | {} | {} | {} | {} | {} | {} | {} | \
                 {failed} | {} | {p50} | {p99} | {max} |",
                active.sent,
                active.acked,
                active.retried,
                active.extra_attempts,
                active.delivered,
                active.lost,
                active.duplicated,
                row.streams.reconnects,
            )?;
        }
    }

    if !rows.is_empty() {
        writeln!(out, "\n## Schedule and streams\n")?;
        writeln!(
            out,
            "| Target | Backend | Nodes | Idle streams | Visitors × msg/s | Late sends (>10 ms) | \
             Max send lag ms | p99 from schedule ms | Frames | Heartbeats | Deliveries | \
             Other events | Foreign | Parse errors | Streams ended | Reconnects | \
             Idle open at end | Listen overflows |"
        )?;
        writeln!(out, "|{}", "---|".repeat(18))?;
        for row in rows {
            let streams = &row.streams;
            let (late, lag, p99) = row.active.as_ref().map_or_else(
                || ("—".into(), "—".into(), "—".into()),
                |active| {
                    (
                        active.late_sends.to_string(),
                        ms(active.max_send_lag),
                        quartet(active.delivery_from_schedule).2,
                    )
                },
            );
            writeln!(
                out,
                "| {} | {} | {} | {} | {} × {} | {late} | {lag} | {p99} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.kind.name(),
                backend(row),
                nodes(row),
                row.row.idle,
                row.row.load.visitors,
                row.row.load.rate,
                streams.frames,
                streams.heartbeats,
                streams.deliveries,
                streams.other_events,
                streams.foreign,
                streams.parse_errors,
                streams.ended,
                streams.reconnects,
                row.idle_open_at_end,
                row.listen_overflows
                    .map_or_else(|| "—".into(), |n| n.to_string()),
            )?;
        }
    }

    if rows.iter().any(|row| row.row.idle > 0) {
        writeln!(out, "\n## Idle streams: server memory (VmRSS)\n")?;
        writeln!(
            out,
            "| Target | Backend | Nodes | Idle streams | Opened | Failed | Visitors created in s | \
             Streams opened in s | RSS at start MiB | RSS before streams MiB | \
             RSS with streams MiB | Bytes per idle stream | RSS at end MiB |"
        )?;
        writeln!(out, "|{}", "---|".repeat(13))?;
        for row in rows.iter().filter(|row| row.row.idle > 0) {
            let memory = row.memory;
            let rss = |bytes: Option<u64>| bytes.map_or_else(|| "—".into(), mib);
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {:.1} | {} | {} | {} | {} | {} |",
                row.kind.name(),
                backend(row),
                nodes(row),
                row.row.idle,
                row.idle_open,
                row.idle_failed.0,
                match row.kind {
                    Kind::Switchboard => format!("{:.1}", row.create_time.as_secs_f64()),
                    Kind::Bare => "—".into(),
                },
                row.open_time.as_secs_f64(),
                rss(memory.start),
                rss(memory.before_streams),
                rss(memory.after_streams),
                row.bytes_per_stream()
                    .map_or_else(|| "—".into(), |bytes| format!("{bytes:.0}")),
                rss(memory.end),
            )?;
        }
    }

    if !commits.is_empty() {
        writeln!(
            out,
            "\n## Commit baselines: one INSERT per transaction, one connection, back to back\n"
        )?;
        writeln!(
            out,
            "| Database | Setting | Commits | Commits/s | p50 ms | p90 ms | p99 ms | max ms |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|")?;
        for commit in commits {
            match commit {
                Ok(commit) => {
                    let (p50, p90, p99, max) = quartet(commit.latency);
                    let rate = commit.commits as f64 / commit.elapsed.as_secs_f64().max(1e-9);
                    writeln!(
                        out,
                        "| {} | {} | {} | {rate:.0} | {p50} | {p90} | {p99} | {max} |",
                        commit.database, commit.setting, commit.commits
                    )?;
                }
                Err(err) => writeln!(out, "| failed: {err} | | | | | | | |")?,
            }
        }
    }

    let problems: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            let name = label(row.kind, row.row);
            let mut lines = Vec::new();
            if let Some(err) = &row.error {
                lines.push(format!("{name}: stopped: {err}"));
            }
            if let (failed, Some(first)) = &row.idle_failed {
                lines.push(format!(
                    "{name}: {failed} idle streams did not open; first: {first}"
                ));
            }
            if let Some(active) = &row.active {
                for (why, count) in &active.failures {
                    let sample = active
                        .failure_samples
                        .get(why)
                        .map_or_else(String::new, |body| format!(", e.g. `{body}`"));
                    lines.push(format!("{name}: {count} messages failed: {why}{sample}"));
                }
                if let Some(err) = active.kills.as_ref().and_then(|kills| kills.error.as_ref()) {
                    lines.push(format!("{name}: killing stopped: {err}"));
                }
                if active.delivered_unacked > 0 {
                    lines.push(format!(
                        "{name}: {} messages were delivered although their POST failed",
                        active.delivered_unacked
                    ));
                }
            }
            for sample in &row.streams.error_samples {
                lines.push(format!("{name}: unreadable frame: {sample}"));
            }
            lines
        })
        .collect();
    if !problems.is_empty() {
        writeln!(out, "\n## Errors\n")?;
        for problem in problems {
            writeln!(out, "- {}", problem.replace('\n', " "))?;
        }
    }

    // Retries are what a client does while nodes are killed, not errors: said apart.
    let retries: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let active = row.active.as_ref()?;
            (!active.retry_reasons.is_empty()).then(|| {
                let reasons: Vec<String> = active
                    .retry_reasons
                    .iter()
                    .map(|(why, count)| format!("{why} ×{count}"))
                    .collect();
                format!(
                    "{}: POSTs retried because {}",
                    label(row.kind, row.row),
                    reasons.join(", ")
                )
            })
        })
        .collect();
    if !retries.is_empty() {
        writeln!(out, "\n## Retries while nodes were killed\n")?;
        for line in retries {
            writeln!(out, "- {line}")?;
        }
    }

    writeln!(out, "\n## How to read this\n")?;
    writeln!(
        out,
        "- Each row runs on fresh server processes and a fresh database (*Backend*: a SQLite \
         file, or a database in the bench's durable PostgreSQL cluster; *Nodes*: server \
         processes sharing it, visitors posting on A and reading on B). Messages are sent open-loop: \
         message *i* is due at *i*/rate seconds, round-robin over the visitors; a visitor has at \
         most the in-flight limit of POSTs outstanding, so a due message may wait (a *late send*).\n\
         - Delivery latency runs from the start of the POST until the `message_posted` frame \
         with that message's `client_id` is read on the same visitor's stream, so it includes the \
         commit. *p99 from schedule* also includes waiting for an in-flight slot.\n\
         - *Sent* below *offered*: the server fell so far behind that messages still waited \
         for an in-flight slot 30 s after the last one was due; they were never sent, and POSTs \
         still unanswered then count as failed (*no answer*).\n\
         - *Acked msg/s*: 2xx answers over the time from the first due send to the last answer. \
         *Lost*: acknowledged but not read back within the drain time. *Dup*: extra copies read.\n\
         - *Bytes per idle stream*: growth of the server's VmRSS from before the idle streams \
         were opened (visitors already created) to after they were all open and settled, divided \
         by the streams opened.\n\
         - *Listen overflows*: connections the kernel dropped because a server's accept queue \
         was full during the row (machine-wide `TcpExt ListenOverflows`); each costs its client a \
         one-second SYN retry, which shows in the stream opening times.\n\
         - CPU % is user+system time of the process over the sending window (100 = one core); \
         the load client and the server share this machine's CPUs (and PostgreSQL's processes, \
         which no figure here includes).\n\
         - *Goal* (two-node rows): met when at least {CROSS_GOAL_RATE} msg/s were offered, every \
         message was acknowledged and delivered exactly once and p99 ≤ {} ms.\n\
         - Node kills: *Restart* runs from the SIGKILL until the new process listened (on a new \
         port); *Retried msgs* needed more than one POST, *Extra POSTs* counts the repeats; \
         *Dup* counts a `client_id` read more than once on its visitor's stream, across \
         reconnections.",
        CROSS_GOAL_P99.as_millis()
    )?;
    Ok(())
}

/// The delivery cells shared by the single- and two-node tables: from *Sent* to
/// *Client CPU %*, each followed by ` |`.
fn delivery_cells(active: &Active) -> String {
    let failed: u64 = active.failures.values().sum();
    let (p50, p90, p99, max) = quartet(active.delivery);
    let (ack50, _, ack99, _) = quartet(active.ack);
    format!(
        "{} | {:.0} | {} | {} | {} | {failed} | {p50} | {p90} | {p99} | {max} | {ack50} | \
         {ack99} | {} | {} |",
        active.sent,
        active.acked_rate(),
        active.delivered,
        active.lost,
        active.duplicated,
        percent(active.server_cpu),
        percent(active.client_cpu),
    )
}

/// Whether a two-node row met the product's goal, and if not, why.
fn goal(offered: u32, active: &Active) -> String {
    let mut missed = Vec::new();
    let p99 = active.delivery.map(|summary| summary.p99);
    let failed: u64 = active.failures.values().sum();
    if active.acked < active.offered || failed > 0 {
        missed.push(format!("{} of {} acked", active.acked, active.offered));
    }
    if active.lost > 0 || active.duplicated > 0 {
        missed.push("lost or duplicated".into());
    }
    match p99 {
        Some(p99) if p99 <= CROSS_GOAL_P99 => {}
        Some(p99) => missed.push(format!("p99 {} ms", ms(p99))),
        None => missed.push("nothing delivered".into()),
    }
    match (offered >= CROSS_GOAL_RATE, missed.is_empty()) {
        (true, true) => "met".into(),
        (true, false) => format!("missed: {}", missed.join("; ")),
        (false, true) => format!("not tested (offered < {CROSS_GOAL_RATE} msg/s); p99 within"),
        (false, false) => format!(
            "not tested (offered < {CROSS_GOAL_RATE} msg/s); {}",
            missed.join("; ")
        ),
    }
}

/// The backend column: the database, `—` for the bare baseline, `given` for `--url`.
fn backend(row: &RowResult) -> &'static str {
    match (row.kind, row.row.backend) {
        (Kind::Bare, _) => "—",
        (Kind::Switchboard, Some(backend)) => backend.name(),
        (Kind::Switchboard, None) => "given (--url)",
    }
}

fn nodes(row: &RowResult) -> String {
    match row.row.kill {
        Some(every) => format!("{} (kill/{} ms)", row.row.nodes, every.as_millis()),
        None => row.row.nodes.to_string(),
    }
}

fn quartet(summary: Option<Summary>) -> (String, String, String, String) {
    summary.map_or_else(
        || ("—".into(), "—".into(), "—".into(), "—".into()),
        |s| (ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)),
    )
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".into(), |value| format!("{value:.0}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(offered: u64, acked: u64, p99_ms: u64) -> Active {
        let p99 = Duration::from_millis(p99_ms);
        Active {
            offered,
            sent: offered,
            acked,
            delivered: acked,
            delivery: Some(Summary {
                count: acked as usize,
                p50: p99 / 2,
                p90: p99,
                p99,
                max: p99,
            }),
            ..Active::default()
        }
    }

    #[test]
    fn the_cross_node_goal_needs_the_rate_every_message_and_the_p99() {
        assert_eq!(goal(500, &active(5000, 5000, 50)), "met");
        assert_eq!(goal(500, &active(5000, 5000, 51)), "missed: p99 51.00 ms");
        assert_eq!(
            goal(500, &active(5000, 4990, 10)),
            "missed: 4990 of 5000 acked"
        );
        let mut lost = active(5000, 5000, 10);
        lost.lost = 1;
        assert_eq!(goal(500, &lost), "missed: lost or duplicated");
        assert_eq!(
            goal(100, &active(300, 300, 4)),
            "not tested (offered < 500 msg/s); p99 within"
        );
    }
}
