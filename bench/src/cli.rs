//! The command line: presets first, then every flag overrides them.

use std::path::PathBuf;
use std::time::Duration;

/// What `switchboard-bench --help` prints.
pub const USAGE: &str = "\
switchboard-bench — message delivery latency, idle-stream memory and commit cost of Switchboard

Usage: switchboard-bench [OPTIONS]

For each target (the Switchboard server, then the bare axum SSE baseline) and each idle-stream
count, on a fresh server process and database:
  1. create the idle visitors, read the server's memory (VmRSS), open one SSE stream per idle
     visitor, wait for the streams to settle and read the memory again (bytes per idle stream);
  2. let the active visitors each start a chat, open their own stream and post messages on an
     open-loop schedule at the offered rate, and time each message from its POST until it is
     read back (matched by client_id) on the same visitor's stream: the commit is included.
Then the SQLite commit baseline (WAL, synchronous=FULL, one INSERT per transaction).
A Markdown report goes to stdout (progress to stderr).

Presets (flags given with them override their sizes):
  --preset issue         idle 0,1000,10000 with 50 visitors offering 1000 msg/s for 10 s each,
                         and a peak row: 0 idle, 200 visitors offering 6000 msg/s
  --quick                smoke run (same as --preset quick): idle 200, 10 visitors offering
                         100 msg/s for 3 s, 2 s commit baseline
  (neither)              idle 0, 50 visitors offering 1000 msg/s for 10 s, no peak row

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

Targets:
  --targets LIST         any of switchboard,bare-sse,commit (default: all three)
  --server-bin PATH      the switchboard binary (default $CARGO_TARGET_DIR/server/switchboard,
                         else target/server/switchboard); build it with
                         cargo build --locked --profile server -p server
  --url URL              measure an already running server instead of starting one per row
                         (run it with --visitor-name-optional; its rows share one database)
  --server-pid PID       with --url: the server's process id, for memory and CPU figures
  --commit-seconds SECS  length of each commit baseline run (default 5)
  --tmp-dir DIR          where the databases are created (default: the system temp dir);
                         its disk decides the commit cost

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

/// One measured configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Idle streams held open meanwhile.
    pub idle: usize,
    /// The active load.
    pub load: Load,
}

/// Which measurements run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Targets {
    /// The Switchboard server.
    pub switchboard: bool,
    /// The bare axum SSE baseline.
    pub bare: bool,
    /// The SQLite commit baseline.
    pub commit: bool,
}

/// Every setting of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Name of the preset used, if any.
    pub preset: Option<&'static str>,
    /// Idle streams per row.
    pub idle: Vec<usize>,
    /// The load of every idle row.
    pub load: Load,
    /// The extra row without idle streams.
    pub peak: Option<Load>,
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
    /// Where the databases go.
    pub tmp_dir: Option<PathBuf>,
    /// Also write the report here.
    pub out: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            preset: None,
            idle: vec![0],
            load: Load {
                visitors: 50,
                rate: 1000,
            },
            peak: None,
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
            },
            server_bin: None,
            url: None,
            server_pid: None,
            commit_duration: Duration::from_secs(5),
            tmp_dir: None,
            out: None,
        }
    }
}

impl Options {
    /// The rows, in the order they run.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = self
            .idle
            .iter()
            .map(|&idle| Row {
                idle,
                load: self.load,
            })
            .collect();
        rows.extend(self.peak.map(|load| Row { idle: 0, load }));
        rows
    }

    fn apply_preset(&mut self, name: &str) -> Result<(), String> {
        match name {
            "issue" => {
                *self = Self {
                    preset: Some("issue"),
                    idle: vec![0, 1000, 10_000],
                    peak: Some(Load {
                        visitors: 200,
                        rate: 6000,
                    }),
                    ..Self::default()
                };
            }
            "quick" => {
                *self = Self {
                    preset: Some("quick"),
                    idle: vec![200],
                    load: Load {
                        visitors: 10,
                        rate: 100,
                    },
                    duration: Duration::from_secs(3),
                    drain: Duration::from_secs(3),
                    settle: Duration::from_secs(1),
                    commit_duration: Duration::from_secs(2),
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
    "--targets",
    "--server-bin",
    "--url",
    "--server-pid",
    "--commit-seconds",
    "--tmp-dir",
    "--out",
];

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
    for (flag, value) in pairs {
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
            "--peak" => {
                options.peak = match value {
                    "none" => None,
                    _ => Some(load(flag, value)?),
                };
            }
            "--in-flight" => options.in_flight = number(flag, value)?,
            "--drain" => options.drain = seconds(flag, value)?,
            "--open-concurrency" => options.open_concurrency = number(flag, value)?,
            "--settle" => options.settle = seconds(flag, value)?,
            "--client-threads" => options.client_threads = Some(number(flag, value)?),
            "--targets" => options.targets = targets(value)?,
            "--server-bin" => options.server_bin = Some(PathBuf::from(value)),
            "--url" => options.url = Some(value.trim_end_matches('/').to_owned()),
            "--server-pid" => options.server_pid = Some(number(flag, value)?),
            "--commit-seconds" => options.commit_duration = seconds(flag, value)?,
            "--tmp-dir" => options.tmp_dir = Some(PathBuf::from(value)),
            "--out" => options.out = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag} (see --help)")),
        }
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
    let loads = std::iter::once(options.load).chain(options.peak);
    for load in loads {
        if !(1..=10_000).contains(&load.visitors) {
            return Err("visitors must be between 1 and 10000".into());
        }
        if !(1..=100_000).contains(&load.rate) {
            return Err("the rate must be between 1 and 100000 msg/s".into());
        }
        if load.rate as f64 * options.duration.as_secs_f64() > 2_000_000.0 {
            return Err("at most 2,000,000 messages per row (rate × duration)".into());
        }
    }
    if options.idle.iter().any(|&idle| idle > 100_000) {
        return Err("at most 100000 idle streams per row".into());
    }
    if options.duration.is_zero() || options.duration > Duration::from_secs(3600) {
        return Err("--duration must be more than 0 and at most 3600 seconds".into());
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

fn load(flag: &str, value: &str) -> Result<Load, String> {
    let (visitors, rate) = value
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{flag}: write VISITORSxRATE, e.g. 200x6000"))?;
    Ok(Load {
        visitors: number(flag, visitors)?,
        rate: number(flag, rate)?,
    })
}

fn targets(value: &str) -> Result<Targets, String> {
    let mut targets = Targets {
        switchboard: false,
        bare: false,
        commit: false,
    };
    for name in value.split(',').map(str::trim) {
        match name {
            "switchboard" => targets.switchboard = true,
            "bare-sse" | "bare" => targets.bare = true,
            "commit" => targets.commit = true,
            other => {
                return Err(format!(
                    "--targets: unknown target {other:?} (switchboard, bare-sse, commit)"
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
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[2].idle, 10_000);
        assert_eq!(
            rows[2].load,
            Load {
                visitors: 50,
                rate: 1000
            }
        );
        assert_eq!(
            rows[3],
            Row {
                idle: 0,
                load: Load {
                    visitors: 200,
                    rate: 6000
                }
            }
        );
        let smaller = run(&["--idle", "0,10", "--preset", "issue", "--peak", "none"]).unwrap();
        assert_eq!(smaller.idle, vec![0, 10]);
        assert_eq!(smaller.peak, None);
        assert_eq!(smaller.preset, Some("issue"));
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
        assert_eq!(run(&[]).unwrap(), Options::default());
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
        assert!(matches!(parse(&["bare-sse".into()]), Ok(Command::BareSse)));
        assert!(matches!(parse(&["--help".into()]), Ok(Command::Help)));
    }
}
