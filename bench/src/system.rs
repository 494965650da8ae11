//! What the bench reads from the operating system: a process's resident memory and CPU time
//! from `/proc`, the machine's description for the report, and the open-files limit.

use std::path::Path;
use std::process::Command;

/// Resident memory (`VmRSS` of `/proc/<pid>/status`) in bytes.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// User plus system CPU time of every thread of a process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses; fields resume after the last ')'.
    let (_, fields) = stat.rsplit_once(')')?;
    let mut fields = fields.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// `TcpExt ListenOverflows` of `/proc/net/netstat`: connections dropped because a listen
/// queue was full (the client retries its SYN a second later). Counts for the whole network
/// namespace.
pub fn listen_overflows() -> Option<u64> {
    let netstat = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = netstat.lines().filter(|line| line.starts_with("TcpExt:"));
    let names = lines.next()?;
    let values = lines.next()?;
    let index = names
        .split_whitespace()
        .position(|name| name == "ListenOverflows")?;
    values.split_whitespace().nth(index)?.parse().ok()
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), to tell whether something else
/// competed for the CPUs.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|line| {
            line.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 when that cannot be run).
pub fn clock_ticks_per_second() -> u64 {
    command_output("getconf", &["CLK_TCK"])
        .and_then(|out| out.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// The trimmed standard output of a command that succeeded.
pub fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The machine, as the report describes it.
#[derive(Clone, Debug)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// `model name` of the first CPU.
    pub cpu_model: String,
    /// `MemTotal` in bytes.
    pub memory: Option<u64>,
    /// Kernel release.
    pub kernel: String,
}

impl Machine {
    /// Reads it from `/proc`.
    pub fn read() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|line| line.starts_with("model name"))
                    .and_then(|line| line.split_once(':'))
                    .map(|(_, model)| model.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into());
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|info| {
                let line = info.lines().find(|line| line.starts_with("MemTotal:"))?;
                let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(kib * 1024)
            });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|release| release.trim().to_owned())
            .unwrap_or_else(|_| "unknown".into());
        Self {
            cpus,
            cpu_model,
            memory,
            kernel,
        }
    }
}

/// The file system type holding `path` (the longest matching mount point in `/proc/mounts`).
pub fn filesystem_of(path: &Path) -> Option<String> {
    let path = path.canonicalize().ok()?;
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let _device = fields.next()?;
            let mount_point = fields.next()?.replace("\\040", " ");
            let kind = fields.next()?;
            path.starts_with(&mount_point)
                .then(|| (mount_point.len(), kind.to_owned()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, kind)| kind)
}

/// Raises the soft open-files limit to the hard limit (children inherit it); answers
/// `(soft, hard)` afterwards.
pub fn raise_open_files_limit() -> Result<(u64, u64), String> {
    rlimit::increase_nofile_limit(u64::MAX)
        .map_err(|err| format!("cannot raise RLIMIT_NOFILE: {err}"))?;
    rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map_err(|err| format!("cannot read RLIMIT_NOFILE: {err}"))
}

/// Bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        assert!(rss_bytes(me).is_some_and(|rss| rss > 0));
        assert!(cpu_ticks(me).is_some());
        assert!(listen_overflows().is_some());
        assert!(filesystem_of(Path::new("/")).is_some());
        assert_eq!(mib(3 * 1024 * 1024 / 2), "1.5");
    }
}
