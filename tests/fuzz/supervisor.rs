//! Runs cases in a child process and watches it.
//!
//! A panic can be caught in-process, but a stack overflow or an allocation
//! failure aborts the whole process, and a hang cannot be stopped. So the
//! cases run in a child (this same test binary, running only
//! [`child_main`]), which writes each case to disk before running it. When
//! the child dies, the parent reads which case killed it and why (its
//! stderr), records the finding and starts a new child at the next case.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::targets::{Input, Target};

/// Set in a child's environment to the folder it reports through.
const CHILD_ENV: &str = "RNNC_FUZZ_CHILD";

/// The test that runs [`child_main`]: the child is started with it as filter.
pub const CHILD_TEST: &str = "fuzz_child";

/// The stack a case runs on: the main-thread stack rnnc's binary gets on
/// Linux (8 MiB), so a case overflows exactly where `rnnc` would.
const CASE_STACK_BYTES: usize = 8 << 20;

/// How long one case may take. A real case takes milliseconds (tract's
/// optimizer on the largest seed well under a second in a debug build); the
/// rest is headroom for seven builds sharing two cores.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(10);

/// The exit code of a child that stopped on a hanging case.
const TIMEOUT_EXIT: i32 = 3;

/// libtest's exit code for a failed test: in a child, a failure of the
/// harness itself (cases' panics are caught on their own thread).
const HARNESS_FAILURE_EXIT: i32 = 101;

/// The name of the thread a case runs on; panics elsewhere are the harness's.
const CASE_THREAD: &str = "fuzz-case";

/// Most re-runs spent minimising one crasher.
const MAX_MINIMIZE_RUNS: usize = 120;

/// How a case went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Panic,
    Timeout,
    StackOverflow,
    AllocationCap,
    Abort,
}

impl Kind {
    /// The word used in corpus file names and reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Panic => "panic",
            Kind::Timeout => "timeout",
            Kind::StackOverflow => "stack_overflow",
            Kind::AllocationCap => "allocation",
            Kind::Abort => "abort",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Panic,
            Kind::Timeout,
            Kind::StackOverflow,
            Kind::AllocationCap,
            Kind::Abort,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// A case that crashed, hung or panicked.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The case index (generated runs) or file index (replays).
    pub index: u64,
    pub kind: Kind,
    /// The panic message and location, or the child's last words.
    pub detail: String,
    pub input: Input,
}

impl Finding {
    /// What makes two findings the same defect: the kind and where it
    /// happened (the panic location; numbers in allocation sizes dropped).
    pub fn key(&self) -> (Kind, String) {
        let first = self.detail.lines().next().unwrap_or("");
        let key = match self.kind {
            Kind::Panic => first.to_string(),
            Kind::AllocationCap | Kind::Abort => first.replace(|c: char| c.is_ascii_digit(), ""),
            Kind::Timeout | Kind::StackOverflow => String::new(),
        };
        (self.kind, key)
    }
}

/// What a child is asked to run.
#[derive(Clone, Debug)]
pub enum Job {
    /// Generated cases `0..count` of the run seeded with `seed`, stopping at
    /// `deadline`; `filtered` keeps out the inputs known to crash today.
    Generate {
        seed: u64,
        count: u64,
        deadline: Option<SystemTime>,
        filtered: bool,
    },
    /// Files, each run once.
    Replay(Vec<PathBuf>),
}

/// The result of a job.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Every case that crashed, hung or panicked.
    pub findings: Vec<Finding>,
    /// Cases run.
    pub cases: u64,
    /// Cases rnnc accepted (returned `Ok`).
    pub accepted: u64,
}

/// Runs `job` for `target` to its end, restarting the child after each
/// crash; a case running longer than `timeout` is a hang.
pub fn run(target: Target, job: &Job, timeout: Duration) -> Outcome {
    let dir = work_dir(target);
    let end = match job {
        Job::Generate { count, .. } => *count,
        Job::Replay(files) => files.len() as u64,
    };
    let mut outcome = Outcome::default();
    let findings = &mut outcome.findings;
    let mut start = 0;
    while start < end {
        for stale in ["done", "current", "findings", "stderr", "stats"] {
            let _ = fs::remove_file(dir.join(stale));
        }
        let text = job_text(target, job, start) + &format!("timeout_ms={}\n", timeout.as_millis());
        fs::write(dir.join("job"), text).expect("write the job");
        let stderr = fs::File::create(dir.join("stderr")).expect("create the child's stderr");
        let status = Command::new(std::env::current_exe().expect("the test binary's path"))
            .args([
                CHILD_TEST,
                "--exact",
                "--nocapture",
                "--test-threads=1",
                "-q",
            ])
            .env(CHILD_ENV, &dir)
            // A backtrace printed on an abort can outlast a short timeout.
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .status()
            .expect("start the fuzz child");
        findings.extend(read_findings(&dir));
        let stats = fs::read_to_string(dir.join("stats")).unwrap_or_default();
        let mut stats = stats
            .split_whitespace()
            .map(|n| n.parse::<u64>().unwrap_or(0));
        outcome.cases += stats.next().unwrap_or(0);
        outcome.accepted += stats.next().unwrap_or(0);
        if dir.join("done").exists() {
            break;
        }
        let last_words = fs::read_to_string(dir.join("stderr")).unwrap_or_default();
        if status.code() == Some(HARNESS_FAILURE_EXIT) {
            panic!("the fuzz child itself failed:\n{last_words}");
        }
        let Some(index) = fs::read_to_string(dir.join("current"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
        else {
            panic!("the fuzz child failed before its first case ({status}):\n{last_words}");
        };
        if status.code() != Some(TIMEOUT_EXIT) {
            let (kind, detail) = classify(&last_words, &status.to_string());
            findings.push(Finding {
                index,
                kind,
                detail,
                input: Input {
                    name: fs::read_to_string(dir.join("current.name")).expect("case name"),
                    bytes: fs::read(dir.join("current.bin")).expect("case bytes"),
                },
            });
        }
        start = index + 1;
    }
    let _ = fs::remove_dir_all(&dir);
    outcome
}

/// The kind and detail of a child's death, from its stderr.
fn classify(stderr: &str, status: &str) -> (Kind, String) {
    let line = |needle: &str| {
        stderr
            .lines()
            .find(|l| l.contains(needle))
            .map(str::to_string)
    };
    if let Some(l) = line("has overflowed its stack") {
        (Kind::StackOverflow, l)
    } else if let Some(l) = line("memory allocation of") {
        (Kind::AllocationCap, l)
    } else {
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty());
        (
            Kind::Abort,
            last.map_or_else(|| status.to_string(), str::to_string),
        )
    }
}

/// The distinct findings (one per [`Finding::key`]), smallest input first.
pub fn distinct(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by_key(|f| f.input.bytes.len());
    let mut by_key = BTreeMap::new();
    for f in findings {
        by_key.entry(f.key()).or_insert(f);
    }
    by_key.into_values().collect()
}

/// A smaller input that still fails the same way: chunks removed while the
/// finding's key stays the same, halving the chunk size down to one byte.
pub fn minimize(target: Target, finding: &Finding) -> Input {
    let key = finding.key();
    let dir = work_dir(target);
    let mut best = finding.input.clone();
    let mut runs = 0;
    let mut chunk = best.bytes.len() / 2;
    while chunk > 0 && runs < MAX_MINIMIZE_RUNS {
        let mut at = 0;
        while at < best.bytes.len() && runs < MAX_MINIMIZE_RUNS {
            let mut candidate = best.clone();
            let end = (at + chunk).min(candidate.bytes.len());
            candidate.bytes.drain(at..end);
            let path = dir.join(&candidate.name);
            fs::write(&path, &candidate.bytes).expect("write a candidate");
            runs += 1;
            let same = run(target, &Job::Replay(vec![path]), CASE_TIMEOUT)
                .findings
                .iter()
                .any(|f| f.key() == key);
            if same {
                best = candidate;
            } else {
                at += chunk;
            }
        }
        chunk /= 2;
    }
    let _ = fs::remove_dir_all(&dir);
    best
}

/// A fresh folder for one child's files.
fn work_dir(target: Target) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "fuzz-{}-{}-{}",
        target.name(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("scratch")).expect("create the fuzz work folder");
    dir
}

fn job_text(target: Target, job: &Job, start: u64) -> String {
    let mut text = format!("target={}\nstart={start}\n", target.name());
    match job {
        Job::Generate {
            seed,
            count,
            deadline,
            filtered,
        } => {
            let deadline_ms = deadline.map_or(0, |d| {
                d.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()
            });
            text += &format!(
                "mode=generate\nseed={seed}\ncount={count}\ndeadline_ms={deadline_ms}\nfiltered={}\n",
                u8::from(*filtered)
            );
        }
        Job::Replay(files) => {
            text += "mode=replay\n";
            for f in files {
                text += &format!("file={}\n", f.display());
            }
        }
    }
    text
}

fn read_findings(dir: &Path) -> Vec<Finding> {
    let text = fs::read_to_string(dir.join("findings")).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(4, '\t');
            let index: u64 = parts.next()?.parse().ok()?;
            let kind = Kind::from_name(parts.next()?)?;
            let name = parts.next()?.to_string();
            let detail = parts.next()?.replace(" ¶ ", "\n");
            let bytes = fs::read(dir.join(format!("finding-{index}"))).ok()?;
            Some(Finding {
                index,
                kind,
                detail,
                input: Input { name, bytes },
            })
        })
        .collect()
}

/// The last panic's message and location, set by the child's panic hook.
static LAST_PANIC: Mutex<String> = Mutex::new(String::new());

/// The child's side: runs the job in `$RNNC_FUZZ_CHILD` when that is set,
/// and returns at once otherwise (a normal `cargo test`).
pub fn child_main() {
    let Some(dir) = std::env::var_os(CHILD_ENV).map(PathBuf::from) else {
        return;
    };
    let job = fs::read_to_string(dir.join("job")).expect("read the job");
    let field = |key: &str| {
        job.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or("")
            .to_string()
    };
    let number = |key: &str| field(key).parse::<u64>().unwrap_or(0);
    let target = Target::from_name(&field("target")).expect("a known target");
    let files: Vec<PathBuf> = job
        .lines()
        .filter_map(|l| l.strip_prefix("file="))
        .map(PathBuf::from)
        .collect();
    let generate = field("mode") == "generate";
    let seeds = generate.then(|| target.seeds());
    let end = if generate {
        number("count")
    } else {
        files.len() as u64
    };
    let deadline_ms = number("deadline_ms");
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if thread::current().name() == Some(CASE_THREAD) {
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = info.to_string();
            }
        } else {
            default_hook(info);
        }
    }));
    let timeout = Duration::from_millis(number("timeout_ms"));
    let scratch = dir.join("scratch");
    let (mut cases, mut accepted) = (0u64, 0u64);
    let save_stats = |cases: u64, accepted: u64| {
        fs::write(dir.join("stats"), format!("{cases} {accepted}")).expect("write the stats");
    };
    for index in number("start")..end {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        if deadline_ms != 0 && now_ms > deadline_ms {
            break;
        }
        let input = match &seeds {
            Some(seeds) => seeds.generate(number("seed"), index, field("filtered") == "1"),
            None => {
                let path = &files[index as usize];
                Input {
                    name: path
                        .file_name()
                        .expect("a corpus file")
                        .to_string_lossy()
                        .into_owned(),
                    bytes: fs::read(path).expect("read a corpus file"),
                }
            }
        };
        fs::write(dir.join("current.name"), &input.name).expect("write the case name");
        fs::write(dir.join("current.bin"), &input.bytes).expect("write the case");
        fs::write(dir.join("current"), index.to_string()).expect("write the case index");
        cases += 1;
        save_stats(cases, accepted);
        let outcome = run_bounded(target, input.clone(), scratch.clone(), timeout);
        if outcome == Ok(true) {
            accepted += 1;
        }
        if let Err((kind, detail)) = outcome {
            fs::write(dir.join(format!("finding-{index}")), &input.bytes).expect("save a finding");
            let mut log = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("findings"))
                .expect("open the findings log");
            let detail = detail.replace('\n', " ¶ ");
            writeln!(log, "{index}\t{}\t{}\t{detail}", kind.name(), input.name)
                .expect("log a finding");
            if kind == Kind::Timeout {
                std::process::exit(TIMEOUT_EXIT);
            }
        }
    }
    save_stats(cases, accepted);
    fs::write(dir.join("done"), "").expect("mark the job done");
}

/// Runs one case on its own thread: whether rnnc accepted it when it
/// returned, else the panic or the timeout.
fn run_bounded(
    target: Target,
    input: Input,
    scratch: PathBuf,
    timeout: Duration,
) -> Result<bool, (Kind, String)> {
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(CASE_THREAD.into())
        .stack_size(CASE_STACK_BYTES)
        .spawn(move || {
            let result = panic::catch_unwind(AssertUnwindSafe(|| target.run(&input, &scratch)));
            let _ = tx.send(result.ok());
        })
        .expect("spawn a case thread");
    match rx.recv_timeout(timeout) {
        Ok(Some(accepted)) => {
            let _ = worker.join();
            Ok(accepted)
        }
        Ok(None) => {
            let _ = worker.join();
            let message = LAST_PANIC.lock().map(|m| m.clone()).unwrap_or_default();
            Err((Kind::Panic, message))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err((
            Kind::Timeout,
            format!("no result after {} ms", timeout.as_millis()),
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err((Kind::Panic, "the case thread ended without a result".into()))
        }
    }
}
