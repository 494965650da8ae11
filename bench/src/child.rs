//! Servers under test run as child processes: started with stdout piped, ready once they
//! print `… is listening on http://ADDR/`, killed when their handle is dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// What a server prints once it accepts connections, followed by its address.
const READY: &str = "is listening on http://";

/// A running server; killed (and reaped) on drop.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// Its process id.
    pub pid: u32,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and waits up to `timeout` for its ready line. Blocking: run it with
/// `spawn_blocking`.
pub fn spawn(mut command: Command, timeout: Duration) -> Result<ServerProcess, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot start {program}: {err}"))?;
    let pid = child.id();
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("{program}: no stdout pipe"));
    };
    let (ready, address) = mpsc::channel();
    // Reads the ready line, then drains the rest so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut ready = Some(ready);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some((_, rest)) = line.split_once(READY)
                && let Some(sender) = ready.take()
            {
                let _ = sender.send(rest.trim().trim_end_matches('/').to_owned());
            }
        }
    });
    match address.recv_timeout(timeout) {
        Ok(address) => Ok(ServerProcess {
            base: format!("http://{address}"),
            pid,
            child,
        }),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "{program} printed no \"{READY}…\" line within {}s",
                timeout.as_secs()
            ))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let _ = child.kill();
            let status = child
                .wait()
                .map_or_else(|err| err.to_string(), |status| status.to_string());
            Err(format!(
                "{program} exited ({status}) before listening; its stderr is above"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_address_and_kills_on_drop() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "echo starting; echo 'Demo is listening on http://127.0.0.1:4321/'; sleep 30",
        ]);
        let server = spawn(command, Duration::from_secs(10)).unwrap();
        assert_eq!(server.base, "http://127.0.0.1:4321");
        let pid = server.pid;
        drop(server);
        assert!(!std::path::Path::new(&format!("/proc/{pid}/cmdline")).exists());
    }

    #[test]
    fn reports_a_server_that_exits() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo nope; exit 3"]);
        let err = spawn(command, Duration::from_secs(10)).unwrap_err();
        assert!(err.contains("exited"), "{err}");
    }
}
