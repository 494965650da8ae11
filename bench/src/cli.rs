//! The command line: presets first, then every flag overrides them.

use std::path::PathBuf;
use std::time::Duration;

/// What `switchboard-bench --help` prints.
pub const USAGE: &str = "\
switchboard-bench — message delivery latency, idle-stream memory and commit cost of Switchboard

Usage: switchboard-bench [OPTIONS]

For each target (the Switchboard server on each backend, then the bare axum SSE baseline) and
each idle-stream count, on fresh server processes and a fresh database:
  1. create the idle visitors, read the server's memory (VmRSS), open one SSE stream per idle
     visitor, wait for the streams to settle and read the memory again (bytes per idle stream);
  2. let the active visitors each start a chat, open their own stream and post messages on an
     open-loop schedule at the offered rate, and time each message from its POST until it is
     read back (matched by client_id) on the same visitor's stream: the commit is included.
With two nodes, two server processes share one PostgreSQL database: visitors post on node A
and read their streams on node B. With kills, one node is killed (SIGKILL) and restarted on a
new port every N ms, alternately, while POSTs are retried with the same client_id and streams
resume with Last-Event-ID on whichever node is up.
Then the commit baselines: SQLite (WAL, synchronous=FULL) and, when a row ran on PostgreSQL,
the same durable PostgreSQL cluster, one INSERT per transaction.
A Markdown report goes to stdout (progress to stderr).

Presets (flags given with them override their sizes):
  --preset issue         on SQLite and on PostgreSQL: idle 0,1000,10000 with 50 visitors
                         offering 1000 msg/s for 10 s each, and a peak row (0 idle, 200 visitors
                         offering 6000 msg/s); a two-node row (50 visitors, 500 msg/s); a kill
                         row (two nodes, a kill every 1500 ms, 20 visitors, 200 msg/s for 15 s);
                         the bare SSE and commit baselines (estimated 6-9 min on 2 CPUs)
  --quick                smoke run (same as --preset quick), ~1 min: idle 200 with 10 visitors
                         offering 100 msg/s for 3 s on SQLite and on PostgreSQL; a two-node row
                         (10 visitors, 100 msg/s, 3 s); a kill row (5 visitors, 50 msg/s for
                         4 s, a kill every 1500 ms); 1 s commit baselines
  (neither)              SQLite, idle 0, 50 visitors offering 1000 msg/s for 10 s, no peak,
                         two-node or kill row

Load:
  --idle LIST            idle streams per row, comma-separated, e.g. 0,1000,10000
  --visitors M           active visitors per row
  --rate R               offered messages per second, spread over the active visitors
  --duration SECS        sending time per row
  --peak MxR|none        an extra row with no idle streams: M visitors offering R msg/s
  --in-flight K          most messages one visitor has in flight (default 4); a message
                         whose turn comes while K are in flight waits (reported as late)
  --drain SECS           how long a delivery may trail the sending phase before an acknowledged
                         message counts as lost (default 5)
  --open-concurrency C   parallel requests while creating visitors and opening streams
                         (default 100: below the servers' listen backlog of 128, so no
                         connection waits for a one-second SYN retry)
  --settle SECS          pause between opening the idle streams and reading memory (default 2)
  --client-threads N     worker threads of the load client (default: every CPU)

Databases and nodes:
  --backend LIST         sqlite, postgres or both (sqlite,postgres: the rows run on each;
                         default sqlite, or postgres with --nodes 2). PostgreSQL rows run on
                         a throwaway durable PostgreSQL 15 cluster the bench starts (default
                         durability: fsync, synchronous_commit and full_page_writes on; in
                         $TMPDIR, stopped and deleted when the bench exits), a fresh database
                         per row
  --nodes 1|2            server processes per row (default 1); 2 needs PostgreSQL: visitors
                         post on node A and read their streams on node B
  --kill MS              with --nodes 2: kill a node every MS ms while sending, alternately,
                         and restart it at once on the same database (new port)
  --cross MxR|none       an extra two-node row on PostgreSQL (0 idle, --duration)
  --chaos MxR|none       an extra kill row on PostgreSQL: two nodes, 0 idle, M visitors
                         offering R msg/s for --chaos-seconds, a kill every --chaos-kill ms
  --chaos-seconds SECS   sending time of the kill row (default 15)
  --chaos-kill MS        kill interval of the kill row (default 1500)

Targets:
  --targets LIST         any of switchboard,bare-sse,commit,visitors (default: the first three)
  --online N             visitors: visitors brought onto the site, each with a page view and an
                         open live channel (default 10000); then the first page of the
                         operator's Visitors list, a search and the badge's count are timed,
                         and the visitors browse (--browse page views a second for --duration)
                         while the operator's console stream counts visitors_changed signals
  --browse R             visitors: page views a second while they browse (default 200)
  --server-bin PATH      the switchboard binary (default $CARGO_TARGET_DIR/server/switchboard,
                         else target/server/switchboard); build it with
                         cargo build --locked --profile server -p server
  --url URL              measure an already running server instead of starting one per row
                         (run it with --visitor-name-optional --no-rate-limits; its rows share
                         one database);
                         only the idle and peak rows run, once
  --server-pid PID       with --url: the server's process id, for memory and CPU figures
  --commit-seconds SECS  length of each commit baseline run (default 5)
  --tmp-dir DIR          where the SQLite databases are created (default: the system temp dir);
                         its disk decides the commit cost (the PostgreSQL cluster goes to
                         $TMPDIR)

Output:
  --out FILE             also write the report to FILE
  -h, --help             print this help
";

/// What the command line asked for.
#[derive(Debug)]
pub enum Command {
    /// Run the benchmark.
    Run(Box<Options>),
    /// Serve the bare SSE baseline (hidden; the bench starts it as its own child).
    BareSse,
    /// Print the usage.
    Help,
}

/// Visitors and the rate they offer together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    /// Active visitors.
    pub visitors: usize,
    /// Offered messages per second over all of them.
    pub rate: u32,
}

/// The database a Switchboard row runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh database in the bench's durable PostgreSQL cluster.
    Postgres,
}

impl Backend {
    /// Its name in the report and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// One measured configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// The database (None: no database of the bench's, i.e. the bare baseline or `--url`).
    pub backend: Option<Backend>,
    /// Server processes sharing the database (1 or 2).
    pub nodes: usize,
    /// Kill a node this often while sending (two nodes only).
    pub kill: Option<Duration>,
    /// Idle streams held open meanwhile.
    pub idle: usize,
    /// The active load.
    pub load: Load,
    /// Sending time.
    pub duration: Duration,
}

/// Which measurements run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Targets {
    /// The Switchboard server.
    pub switchboard: bool,
    /// The bare axum SSE baseline.
    pub bare: bool,
    /// The commit baselines.
    pub commit: bool,
    /// The Visitors page with many visitors on the site (not in the default set).
    pub visitors: bool,
}

/// Every setting of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Name of the preset used, if any.
    pub preset: Option<&'static str>,
    /// The databases the idle and peak rows run on, each in turn.
    pub backends: Vec<Backend>,
    /// Server processes of the idle and peak rows.
    pub nodes: usize,
    /// Kill interval of the idle and peak rows (two nodes only).
    pub kill: Option<Duration>,
    /// Idle streams per row.
    pub idle: Vec<usize>,
    /// The load of every idle row.
    pub load: Load,
    /// The extra row without idle streams.
    pub peak: Option<Load>,
    /// The extra two-node row (PostgreSQL, no idle streams).
    pub cross: Option<Load>,
    /// The extra kill row (PostgreSQL, two nodes, no idle streams).
    pub chaos: Option<Load>,
    /// Sending time of the kill row.
    pub chaos_duration: Duration,
    /// Kill interval of the kill row.
    pub chaos_kill: Duration,
    /// Sending time per row.
    pub duration: Duration,
    /// Most messages in flight per visitor.
    pub in_flight: usize,
    /// How long deliveries may trail the sending phase.
    pub drain: Duration,
    /// Parallel requests while setting up.
    pub open_concurrency: usize,
    /// Pause before reading memory.
    pub settle: Duration,
    /// Worker threads of the client (None: every CPU).
    pub client_threads: Option<usize>,
    /// What runs.
    pub targets: Targets,
    /// The switchboard binary.
    pub server_bin: Option<PathBuf>,
    /// An already running server.
    pub url: Option<String>,
    /// That server's process id.
    pub server_pid: Option<u32>,
    /// Length of each commit baseline.
    pub commit_duration: Duration,
    /// Where the SQLite databases go.
    pub tmp_dir: Option<PathBuf>,
    /// Also write the report here.
    pub out: Option<PathBuf>,
    /// Visitors on the site for the visitors target.
    pub online: usize,
    /// Page views a second while they browse.
    pub browse_rate: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            preset: None,
            backends: vec![Backend::Sqlite],
            nodes: 1,
            kill: None,
            idle: vec![0],
            load: Load {
                visitors: 50,
                rate: 1000,
            },
            peak: None,
            cross: None,
            chaos: None,
            chaos_duration: Duration::from_secs(15),
            chaos_kill: Duration::from_millis(1500),
            duration: Duration::from_secs(10),
            in_flight: 4,
            drain: Duration::from_secs(5),
            open_concurrency: 100,
            settle: Duration::from_secs(2),
            client_threads: None,
            targets: Targets {
                switchboard: true,
                bare: true,
                commit: true,
                visitors: false,
            },
            server_bin: None,
            url: None,
            server_pid: None,
            commit_duration: Duration::from_secs(5),
            tmp_dir: None,
            out: None,
            online: 10_000,
            browse_rate: 200,
        }
    }
}

impl Options {
    /// The Switchboard rows, in the order they run: the idle rows and the peak row on each
    /// backend, then the two-node row, then the kill row. With `--url`, the idle rows and the
    /// peak row only, once, on that server.
    pub fn rows(&self) -> Vec<Row> {
        if self.url.is_some() {
            return self.matrix(None, 1, None);
        }
        let mut rows: Vec<Row> = self
            .backends
            .iter()
            .flat_map(|&backend| self.matrix(Some(backend), self.nodes, self.kill))
            .collect();
        rows.extend(self.cross.map(|load| Row {
            backend: Some(Backend::Postgres),
            nodes: 2,
            kill: None,
            idle: 0,
            load,
            duration: self.duration,
        }));
        rows.extend(self.chaos.map(|load| Row {
            backend: Some(Backend::Postgres),
            nodes: 2,
            kill: Some(self.chaos_kill),
            idle: 0,
            load,
            duration: self.chaos_duration,
        }));
        rows
    }

    /// The rows of the bare SSE baseline: the idle rows and the peak row, once.
    pub fn bare_rows(&self) -> Vec<Row> {
        self.matrix(None, 1, None)
    }

    /// Whether any row or baseline needs the PostgreSQL cluster.
    pub fn uses_postgres(&self) -> bool {
        let rows = if self.targets.switchboard {
            self.rows()
        } else {
            Vec::new()
        };
        rows.iter()
            .any(|row| row.backend == Some(Backend::Postgres))
            || (self.targets.commit
                && self.url.is_none()
                && self.backends.contains(&Backend::Postgres))
    }

    /// The idle rows and the peak row on one backend.
    fn matrix(&self, backend: Option<Backend>, nodes: usize, kill: Option<Duration>) -> Vec<Row> {
        let row = |idle, load| Row {
            backend,
            nodes,
            kill,
            idle,
            load,
            duration: self.duration,
        };
        let mut rows: Vec<Row> = self.idle.iter().map(|&idle| row(idle, self.load)).collect();
        rows.extend(self.peak.map(|load| row(0, load)));
        rows
    }

    fn apply_preset(&mut self, name: &str) -> Result<(), String> {
        match name {
            "issue" => {
                *self = Self {
                    preset: Some("issue"),
                    backends: vec![Backend::Sqlite, Backend::Postgres],
                    idle: vec![0, 1000, 10_000],
                    peak: Some(Load {
                        visitors: 200,
                        rate: 6000,
                    }),
                    cross: Some(Load {
                        visitors: 50,
                        rate: 500,
                    }),
                    chaos: Some(Load {
                        visitors: 20,
                        rate: 200,
                    }),
                    chaos_duration: Duration::from_secs(15),
                    chaos_kill: Duration::from_millis(1500),
                    ..Self::default()
                };
            }
            "quick" => {
                *self = Self {
                    preset: Some("quick"),
                    backends: vec![Backend::Sqlite, Backend::Postgres],
                    idle: vec![200],
                    load: Load {
                        visitors: 10,
                        rate: 100,
                    },
                    cross: Some(Load {
                        visitors: 10,
                        rate: 100,
                    }),
                    chaos: Some(Load {
                        visitors: 5,
                        rate: 50,
                    }),
                    chaos_duration: Duration::from_secs(4),
                    chaos_kill: Duration::from_millis(1500),
                    duration: Duration::from_secs(3),
                    drain: Duration::from_secs(3),
                    settle: Duration::from_secs(1),
                    commit_duration: Duration::from_secs(1),
                    ..Self::default()
                };
            }
            other => return Err(format!("unknown preset {other:?} (issue, quick)")),
        }
        Ok(())
    }
}

/// The options that take a value (besides `--preset`).
const VALUED: &[&str] = &[
    "--idle",
    "--visitors",
    "--rate",
    "--duration",
    "--peak",
    "--in-flight",
    "--drain",
    "--open-concurrency",
    "--settle",
    "--client-threads",
    "--backend",
    "--nodes",
    "--kill",
    "--cross",
    "--chaos",
    "--chaos-seconds",
    "--chaos-kill",
    "--targets",
    "--server-bin",
    "--url",
    "--server-pid",
    "--commit-seconds",
    "--tmp-dir",
    "--out",
    "--online",
    "--browse",
];

/// The options that start servers or databases of the bench's own, which `--url` excludes.
const OWN_SERVERS: &[&str] = &["--backend", "--nodes", "--kill", "--cross", "--chaos"];

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, String> {
    if args.first().map(String::as_str) == Some("bare-sse") {
        return match args.len() {
            1 => Ok(Command::BareSse),
            _ => Err("bare-sse takes no arguments".into()),
        };
    }
    let mut options = Options::default();
    // Presets first, so that every other flag overrides them wherever it stands.
    let mut pairs = Vec::new();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--quick" => options.apply_preset("quick")?,
            "--preset" => options.apply_preset(value(flag, iter.next())?)?,
            _ if VALUED.contains(&flag.as_str()) => {
                pairs.push((flag.as_str(), value(flag, iter.next())?));
            }
            _ if flag.starts_with('-') => {
                return Err(format!("unknown option {flag} (see --help)"));
            }
            _ => return Err(format!("unexpected argument {flag:?} (see --help)")),
        }
    }
    let mut backend_given = false;
    for &(flag, value) in &pairs {
        match flag {
            "--idle" => {
                options.idle = value
                    .split(',')
                    .map(|n| number(flag, n.trim()))
                    .collect::<Result<_, _>>()?;
            }
            "--visitors" => options.load.visitors = number(flag, value)?,
            "--rate" => options.load.rate = number(flag, value)?,
            "--duration" => options.duration = seconds(flag, value)?,
            "--peak" => options.peak = optional_load(flag, value)?,
            "--in-flight" => options.in_flight = number(flag, value)?,
            "--drain" => options.drain = seconds(flag, value)?,
            "--open-concurrency" => options.open_concurrency = number(flag, value)?,
            "--settle" => options.settle = seconds(flag, value)?,
            "--client-threads" => options.client_threads = Some(number(flag, value)?),
            "--backend" => {
                options.backends = backends(value)?;
                backend_given = true;
            }
            "--nodes" => options.nodes = number(flag, value)?,
            "--kill" => options.kill = Some(millis(flag, value)?),
            "--cross" => options.cross = optional_load(flag, value)?,
            "--chaos" => options.chaos = optional_load(flag, value)?,
            "--chaos-seconds" => options.chaos_duration = seconds(flag, value)?,
            "--chaos-kill" => options.chaos_kill = millis(flag, value)?,
            "--targets" => options.targets = targets(value)?,
            "--server-bin" => options.server_bin = Some(PathBuf::from(value)),
            "--url" => options.url = Some(value.trim_end_matches('/').to_owned()),
            "--server-pid" => options.server_pid = Some(number(flag, value)?),
            "--commit-seconds" => options.commit_duration = seconds(flag, value)?,
            "--tmp-dir" => options.tmp_dir = Some(PathBuf::from(value)),
            "--out" => options.out = Some(PathBuf::from(value)),
            "--online" => options.online = number(flag, value)?,
            "--browse" => options.browse_rate = number(flag, value)?,
            _ => return Err(format!("unknown option {flag} (see --help)")),
        }
    }
    if options.url.is_some() {
        if let Some((flag, _)) = pairs.iter().find(|(flag, _)| OWN_SERVERS.contains(flag)) {
            return Err(format!(
                "{flag} starts servers of the bench's own; --url measures the given one"
            ));
        }
    } else if options.nodes == 2 && !backend_given {
        // Several nodes need a shared database.
        options.backends = vec![Backend::Postgres];
    }
    validate(&options)?;
    Ok(Command::Run(Box::new(options)))
}

fn validate(options: &Options) -> Result<(), String> {
    if let Some(url) = &options.url {
        let host = url
            .strip_prefix("http://")
            .ok_or("--url must be an http:// URL")?;
        if !(host.starts_with("127.0.0.1:") || host.starts_with("localhost:")) {
            return Err("--url must point at this machine (http://127.0.0.1:PORT)".into());
        }
    }
    if options.server_pid.is_some() && options.url.is_none() {
        return Err("--server-pid goes with --url".into());
    }
    if !(1..=2).contains(&options.nodes) {
        return Err("--nodes must be 1 or 2".into());
    }
    if options.nodes == 2 && options.backends.contains(&Backend::Sqlite) {
        return Err(
            "--nodes 2 runs on PostgreSQL only (the nodes share one database): \
             use --backend postgres"
                .into(),
        );
    }
    if options.kill.is_some() && options.nodes != 2 {
        return Err("--kill goes with --nodes 2".into());
    }
    for every in options.kill.iter().chain([&options.chaos_kill]) {
        if *every < Duration::from_millis(100) || *every > Duration::from_secs(600) {
            return Err("a kill interval is between 100 and 600000 ms".into());
        }
    }
    let durations = [options.duration, options.chaos_duration];
    if durations
        .iter()
        .any(|d| d.is_zero() || *d > Duration::from_secs(3600))
    {
        return Err(
            "--duration and --chaos-seconds must be more than 0 and at most 3600 seconds".into(),
        );
    }
    let loads = [
        Some((options.load, options.duration)),
        options.peak.map(|load| (load, options.duration)),
        options.cross.map(|load| (load, options.duration)),
        options.chaos.map(|load| (load, options.chaos_duration)),
    ];
    for (load, duration) in loads.into_iter().flatten() {
        if !(1..=10_000).contains(&load.visitors) {
            return Err("visitors must be between 1 and 10000".into());
        }
        if !(1..=100_000).contains(&load.rate) {
            return Err("the rate must be between 1 and 100000 msg/s".into());
        }
        if load.rate as f64 * duration.as_secs_f64() > 2_000_000.0 {
            return Err("at most 2,000,000 messages per row (rate × duration)".into());
        }
    }
    if options.idle.iter().any(|&idle| idle > 100_000) {
        return Err("at most 100000 idle streams per row".into());
    }
    if options.drain > Duration::from_secs(600) || options.settle > Duration::from_secs(600) {
        return Err("--drain and --settle are at most 600 seconds".into());
    }
    if options.commit_duration > Duration::from_secs(600) {
        return Err("--commit-seconds is at most 600".into());
    }
    if !(1..=64).contains(&options.in_flight) {
        return Err("--in-flight must be between 1 and 64".into());
    }
    if !(1..=5000).contains(&options.open_concurrency) {
        return Err("--open-concurrency must be between 1 and 5000".into());
    }
    if options
        .client_threads
        .is_some_and(|n| !(1..=256).contains(&n))
    {
        return Err("--client-threads must be between 1 and 256".into());
    }
    Ok(())
}

fn value<'a>(flag: &str, value: Option<&'a String>) -> Result<&'a str, String> {
    value
        .map(String::as_str)
        .ok_or_else(|| format!("{flag} needs a value"))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a whole number"))
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|secs| secs.is_finite() && *secs >= 0.0 && *secs <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag}: {value:?} is not a number of seconds"))
}

fn millis(flag: &str, value: &str) -> Result<Duration, String> {
    number(flag, value).map(Duration::from_millis)
}

fn load(flag: &str, value: &str) -> Result<Load, String> {
    let (visitors, rate) = value
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{flag}: write VISITORSxRATE, e.g. 200x6000"))?;
    Ok(Load {
        visitors: number(flag, visitors)?,
        rate: number(flag, rate)?,
    })
}

fn optional_load(flag: &str, value: &str) -> Result<Option<Load>, String> {
    match value {
        "none" => Ok(None),
        _ => load(flag, value).map(Some),
    }
}

fn backends(value: &str) -> Result<Vec<Backend>, String> {
    let mut backends = Vec::new();
    for name in value.split(',').map(str::trim) {
        let backend = match name {
            "sqlite" => Backend::Sqlite,
            "postgres" | "postgresql" | "pg" => Backend::Postgres,
            other => {
                return Err(format!(
                    "--backend: unknown backend {other:?} (sqlite, postgres)"
                ));
            }
        };
        if !backends.contains(&backend) {
            backends.push(backend);
        }
    }
    Ok(backends)
}

fn targets(value: &str) -> Result<Targets, String> {
    let mut targets = Targets {
        switchboard: false,
        bare: false,
        commit: false,
        visitors: false,
    };
    for name in value.split(',').map(str::trim) {
        match name {
            "switchboard" => targets.switchboard = true,
            "bare-sse" | "bare" => targets.bare = true,
            "commit" => targets.commit = true,
            "visitors" => targets.visitors = true,
            other => {
                return Err(format!(
                    "--targets: unknown target {other:?} (switchboard, bare-sse, commit, visitors)"
                ));
            }
        }
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        match parse(&args)? {
            Command::Run(options) => Ok(*options),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn issue_preset_is_the_products_matrix_and_flags_override_it() {
        let issue = run(&["--preset", "issue"]).unwrap();
        let rows = issue.rows();
        assert_eq!(rows.len(), 10);
        let on = |backend| {
            rows.iter()
                .filter(move |row| row.backend == Some(backend) && row.nodes == 1)
        };
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let idle: Vec<usize> = on(backend).map(|row| row.idle).collect();
            assert_eq!(idle, vec![0, 1000, 10_000, 0]);
        }
        assert_eq!(rows[2].idle, 10_000);
        assert_eq!(
            rows[2].load,
            Load {
                visitors: 50,
                rate: 1000
            }
        );
        assert_eq!(rows[2].duration, Duration::from_secs(10));
        assert_eq!(
            rows[3],
            Row {
                backend: Some(Backend::Sqlite),
                nodes: 1,
                kill: None,
                idle: 0,
                load: Load {
                    visitors: 200,
                    rate: 6000
                },
                duration: Duration::from_secs(10),
            }
        );
        assert_eq!(
            rows[8],
            Row {
                backend: Some(Backend::Postgres),
                nodes: 2,
                kill: None,
                idle: 0,
                load: Load {
                    visitors: 50,
                    rate: 500
                },
                duration: Duration::from_secs(10),
            }
        );
        assert_eq!(
            rows[9],
            Row {
                backend: Some(Backend::Postgres),
                nodes: 2,
                kill: Some(Duration::from_millis(1500)),
                idle: 0,
                load: Load {
                    visitors: 20,
                    rate: 200
                },
                duration: Duration::from_secs(15),
            }
        );
        assert_eq!(issue.bare_rows().len(), 4);
        assert!(issue.uses_postgres());
        let smaller = run(&[
            "--idle",
            "0,10",
            "--preset",
            "issue",
            "--peak",
            "none",
            "--chaos",
            "none",
            "--backend",
            "sqlite",
        ])
        .unwrap();
        assert_eq!(smaller.idle, vec![0, 10]);
        assert_eq!(smaller.peak, None);
        assert_eq!(smaller.preset, Some("issue"));
        assert_eq!(smaller.rows().len(), 3);
        assert!(smaller.uses_postgres(), "the two-node row stays");
    }

    #[test]
    fn quick_and_defaults() {
        let quick = run(&["--quick", "--rate", "50"]).unwrap();
        assert_eq!(quick.idle, vec![200]);
        assert_eq!(
            quick.load,
            Load {
                visitors: 10,
                rate: 50
            }
        );
        let rows = quick.rows();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows.iter().filter(|row| row.nodes == 2).count(), 2);
        assert!(rows.iter().any(|row| row.kill.is_some()));
        assert_eq!(run(&[]).unwrap(), Options::default());
        assert!(!Options::default().uses_postgres());
    }

    #[test]
    fn backends_nodes_and_kills() {
        let both = run(&["--backend", "sqlite,postgres", "--idle", "0,5"]).unwrap();
        let backends: Vec<_> = both.rows().iter().map(|row| row.backend).collect();
        assert_eq!(
            backends,
            [
                Some(Backend::Sqlite),
                Some(Backend::Sqlite),
                Some(Backend::Postgres),
                Some(Backend::Postgres)
            ]
        );
        let two = run(&["--nodes", "2", "--kill", "800"]).unwrap();
        assert_eq!(two.backends, vec![Backend::Postgres]);
        assert_eq!(two.rows()[0].nodes, 2);
        assert_eq!(two.rows()[0].kill, Some(Duration::from_millis(800)));
        assert_eq!(two.bare_rows()[0].nodes, 1);
        assert!(run(&["--nodes", "2", "--backend", "sqlite"]).is_err());
        assert!(run(&["--nodes", "3"]).is_err());
        assert!(run(&["--kill", "1000"]).is_err());
        assert!(run(&["--nodes", "2", "--kill", "5"]).is_err());
        assert!(run(&["--backend", "mysql"]).is_err());
        let url = ["--url", "http://127.0.0.1:3000"];
        let given = run(&[&url[..], &["--preset", "issue"]].concat()).unwrap();
        assert!(
            given
                .rows()
                .iter()
                .all(|row| row.backend.is_none() && row.nodes == 1)
        );
        assert_eq!(given.rows().len(), 4);
        assert!(run(&[&url[..], &["--nodes", "2"]].concat()).is_err());
        assert!(run(&[&url[..], &["--backend", "postgres"]].concat()).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        assert!(run(&["--rate"]).is_err());
        assert!(run(&["--rate", "fast"]).is_err());
        assert!(run(&["--peak", "200"]).is_err());
        assert!(run(&["--targets", "everything"]).is_err());
        assert!(run(&["--url", "http://example.com:80"]).is_err());
        assert!(run(&["--server-pid", "12"]).is_err());
        assert!(run(&["--preset", "huge"]).is_err());
        assert!(run(&["stray"]).is_err());
        assert!(run(&["--bogus"]).unwrap_err().contains("unknown option"));
        assert!(run(&["--duration", "0"]).is_err());
    }

    #[test]
    fn targets_and_subcommands() {
        let only = run(&["--targets", "commit"]).unwrap();
        assert!(only.targets.commit && !only.targets.switchboard && !only.targets.bare);
        assert!(
            !only.targets.visitors,
            "the Visitors page runs when asked for"
        );
        let page = run(&["--targets", "visitors", "--online", "500", "--browse", "50"]).unwrap();
        assert!(page.targets.visitors && !page.targets.switchboard);
        assert_eq!((page.online, page.browse_rate), (500, 50));
        assert!(matches!(parse(&["bare-sse".into()]), Ok(Command::BareSse)));
        assert!(matches!(parse(&["--help".into()]), Ok(Command::Help)));
    }
}
