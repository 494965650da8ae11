//! The Markdown report.

use std::fmt::{self, Write};

use crate::commit::CommitResult;
use crate::load::{Kind, RowResult};
use crate::stats::{Summary, ms};
use crate::system::{Machine, mib};

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
    /// What is measured and where its database lives.
    pub server: String,
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
    writeln!(out, "- Load client: {}", header.client)?;
    writeln!(
        out,
        "- Load average (1/5/15 min) at start: {}; at end: {}",
        header.load_average.0, header.load_average.1
    )?;

    if !rows.is_empty() {
        writeln!(
            out,
            "\n## Delivery latency: POST until read on the visitor's own stream\n"
        )?;
        writeln!(
            out,
            "| Target | Idle streams | Visitors | Offered msg/s | Sent | Acked msg/s | Delivered | \
             Lost | Dup | Failed | p50 ms | p90 ms | p99 ms | max ms | Ack p50 ms | Ack p99 ms | \
             Server CPU % | Client CPU % |"
        )?;
        writeln!(out, "|{}", "---|".repeat(18))?;
        for row in rows {
            let target = row.kind.name();
            let idle = row.row.idle;
            let visitors = row.row.load.visitors;
            let offered = row.row.load.rate;
            let Some(active) = &row.active else {
                writeln!(
                    out,
                    "| {target} | {idle} | {visitors} | {offered} | {} |",
                    "— |".repeat(14)
                )?;
                continue;
            };
            let failed: u64 = active.failures.values().sum();
            let (p50, p90, p99, max) = quartet(active.delivery);
            let (ack50, _, ack99, _) = quartet(active.ack);
            writeln!(
                out,
                "| {target} | {idle} | {visitors} | {offered} | {} | {:.0} | {} | {} | {} | {failed} | \
                 {p50} | {p90} | {p99} | {max} | {ack50} | {ack99} | {} | {} |",
                active.sent,
                active.acked_rate(),
                active.delivered,
                active.lost,
                active.duplicated,
                percent(active.server_cpu),
                percent(active.client_cpu),
            )?;
        }

        writeln!(out, "\n## Schedule and streams\n")?;
        writeln!(
            out,
            "| Target | Idle streams | Visitors × msg/s | Late sends (>10 ms) | Max send lag ms | \
             p99 from schedule ms | Frames | Heartbeats | Deliveries | Other events | Foreign | \
             Parse errors | Streams ended | Reconnects | Idle open at end | Listen overflows |"
        )?;
        writeln!(out, "|{}", "---|".repeat(16))?;
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
                "| {} | {} | {} × {} | {late} | {lag} | {p99} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.kind.name(),
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

        writeln!(out, "\n## Idle streams: server memory (VmRSS)\n")?;
        writeln!(
            out,
            "| Target | Idle streams | Opened | Failed | Visitors created in s | Streams opened in s | \
             RSS at start MiB | RSS before streams MiB | RSS with streams MiB | Bytes per idle stream | \
             RSS at end MiB |"
        )?;
        writeln!(out, "|{}", "---|".repeat(11))?;
        for row in rows.iter().filter(|row| row.row.idle > 0) {
            let memory = row.memory;
            let rss = |bytes: Option<u64>| bytes.map_or_else(|| "—".into(), mib);
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.1} | {} | {} | {} | {} | {} |",
                row.kind.name(),
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
            "\n## SQLite commit baseline: WAL, one INSERT per transaction, one connection\n"
        )?;
        writeln!(
            out,
            "| synchronous | Commits | Commits/s | p50 ms | p90 ms | p99 ms | max ms |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|")?;
        for commit in commits {
            match commit {
                Ok(commit) => {
                    let (p50, p90, p99, max) = quartet(commit.latency);
                    let rate = commit.commits as f64 / commit.elapsed.as_secs_f64().max(1e-9);
                    writeln!(
                        out,
                        "| {} | {} | {rate:.0} | {p50} | {p90} | {p99} | {max} |",
                        commit.synchronous, commit.commits
                    )?;
                }
                Err(err) => writeln!(out, "| failed: {err} | | | | | | |")?,
            }
        }
    }

    let problems: Vec<String> = rows
        .iter()
        .flat_map(|row| {
            let name = format!(
                "{} idle={} {}×{}/s",
                row.kind.name(),
                row.row.idle,
                row.row.load.visitors,
                row.row.load.rate
            );
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

    writeln!(out, "\n## How to read this\n")?;
    writeln!(
        out,
        "- Each row runs on a fresh server process and database. Messages are sent open-loop: \
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
         the load client and the server share this machine's CPUs."
    )?;
    Ok(())
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
