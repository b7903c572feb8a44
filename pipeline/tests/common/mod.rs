//! Helpers shared by the integration tests that drive brokers and the `routinely` binary:
//! `routinely-mock-kafka` in a child process, running the binary, scratch directories.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `routinely` binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_routinely");
/// The mock broker program.
pub const MOCK: &str = env!("CARGO_BIN_EXE_routinely-mock-kafka");

/// A scratch directory `PREFIX-NAME` under the target directory, emptied first.
pub fn scratch(prefix: &str, name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{prefix}-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs the binary; its exit code and stderr.
pub fn routinely(args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run routinely");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `routinely-mock-kafka` serving in a child process; stopped on drop.
pub struct MockBroker {
    child: Child,
    /// `HOST:PORT`.
    pub bootstrap: String,
}

impl MockBroker {
    /// Starts it with topics `NAME:PARTITIONS` and reads its bootstrap line.
    pub fn start(topics: &[&str]) -> MockBroker {
        let mut cmd = Command::new(MOCK);
        for t in topics {
            cmd.arg("--topic").arg(t);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start routinely-mock-kafka");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("bootstrap line");
        let bootstrap = line
            .trim()
            .strip_prefix("bootstrap=")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        MockBroker { child, bootstrap }
    }
}

impl Drop for MockBroker {
    fn drop(&mut self) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = writeln!(stdin, "quit");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small deterministic generator for kill times.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `below`.
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

/// SIGKILLs `child` after `after` unless it ended first (then it must have succeeded);
/// whether it was killed.
pub fn kill_after(mut child: Child, after: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + after;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "run failed before the kill: {status:?}");
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    // SIGKILL: no handler runs, nothing is flushed.
    let _ = child.kill();
    let _ = child.wait();
    true
}
