//! How much memory the machine lets this process allocate, as the kernel
//! reports it (Linux); `None` where it says nothing.
//!
//! The least of: `MemAvailable` in `/proc/meminfo` (what can be allocated
//! without swapping, proc(5)), the room left under a cgroup memory limit (v2
//! `memory.max` − `memory.current`, v1 `memory.limit_in_bytes` −
//! `memory.usage_in_bytes`, as a container sees them), and the room left
//! under `ulimit -v` (the soft `Max address space` in `/proc/self/limits` −
//! `VmSize` in `/proc/self/status`). Parsing is separated from reading so
//! that it is tested on fixed text.

use std::path::Path;

/// cgroup v1 reports "no limit" as the largest page-aligned i64
/// (9223372036854771712); anything this large is no limit in practice.
const CGROUP_V1_UNLIMITED: u64 = 1 << 62;

/// The bytes this process can still allocate, or `None` if no source is readable.
pub fn available() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(Path::new(path)).ok();
    let meminfo = read("/proc/meminfo").and_then(|t| kib_field(&t, "MemAvailable:"));
    let cgroup_v2 = read("/sys/fs/cgroup/memory.max").and_then(|max| {
        room(
            parse_limit(&max, u64::MAX)?,
            read("/sys/fs/cgroup/memory.current").and_then(|t| t.trim().parse().ok()),
        )
    });
    let cgroup_v1 = read("/sys/fs/cgroup/memory/memory.limit_in_bytes").and_then(|max| {
        room(
            parse_limit(&max, CGROUP_V1_UNLIMITED)?,
            read("/sys/fs/cgroup/memory/memory.usage_in_bytes").and_then(|t| t.trim().parse().ok()),
        )
    });
    let address_space = read("/proc/self/limits").and_then(|limits| {
        room(
            address_space_limit(&limits)?,
            read("/proc/self/status").and_then(|t| kib_field(&t, "VmSize:")),
        )
    });
    [meminfo, cgroup_v2, cgroup_v1, address_space]
        .into_iter()
        .flatten()
        .min()
}

/// `limit − used`, or the whole limit when the usage is unknown.
fn room(limit: u64, used: Option<u64>) -> Option<u64> {
    Some(limit.saturating_sub(used.unwrap_or(0)))
}

/// A cgroup limit file's value: `None` for `max` (v2) or a value at or above
/// `unlimited` (v1), or for text that is not a number.
fn parse_limit(text: &str, unlimited: u64) -> Option<u64> {
    let value: u64 = text.trim().parse().ok()?;
    (value < unlimited).then_some(value)
}

/// The value in bytes of a `Name:   123 kB` line of `/proc/meminfo` or
/// `/proc/self/status`.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The soft `Max address space` limit of `/proc/self/limits` in bytes,
/// `None` when unlimited.
fn address_space_limit(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    line["Max address space".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_meminfo_and_status_fields() {
        let meminfo = "MemTotal:       24683584 kB\nMemFree:        19748292 kB\nMemAvailable:   22857000 kB\n";
        assert_eq!(kib_field(meminfo, "MemAvailable:"), Some(22_857_000 * 1024));
        assert_eq!(kib_field(meminfo, "SwapFree:"), None);
        let status = "Name:\trnnc\nVmPeak:\t    4000 kB\nVmSize:\t    3892 kB\n";
        assert_eq!(kib_field(status, "VmSize:"), Some(3892 * 1024));
    }

    #[test]
    fn cgroup_limits_know_unlimited() {
        assert_eq!(parse_limit("max\n", u64::MAX), None);
        assert_eq!(parse_limit("4294967296\n", u64::MAX), Some(1 << 32));
        assert_eq!(
            parse_limit("9223372036854771712\n", CGROUP_V1_UNLIMITED),
            None
        );
        assert_eq!(
            parse_limit("1073741824\n", CGROUP_V1_UNLIMITED),
            Some(1 << 30)
        );
        assert_eq!(room(1 << 30, Some(1 << 29)), Some(1 << 29));
        assert_eq!(room(1 << 20, Some(1 << 29)), Some(0));
        assert_eq!(room(1 << 20, None), Some(1 << 20));
    }

    #[test]
    fn reads_the_address_space_limit() {
        let unlimited = "Limit                     Soft Limit           Hard Limit           Units     \n\
                         Max data size             unlimited            unlimited            bytes     \n\
                         Max address space         unlimited            unlimited            bytes     \n";
        assert_eq!(address_space_limit(unlimited), None);
        let limited =
            "Max address space         8589934592           unlimited            bytes     \n";
        assert_eq!(address_space_limit(limited), Some(8 << 30));
    }

    #[test]
    fn this_machine_reports_something_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(available().is_some_and(|bytes| bytes > 0));
        }
    }
}
