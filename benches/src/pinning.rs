//! Keeping the server under test and the load generator on separate cores,
//! so that neither's figures include waiting for the other: the server is
//! started under `taskset -c`, and the load generator restricts itself
//! (`sched_setaffinity`) before its runtime starts, so every thread it
//! spawns inherits the set.

use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;

/// Which CPUs the server and the load generator run on (`taskset -c`
/// lists such as `0` or `1-3,5`); `None` leaves a side unpinned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub server: Option<String>,
    pub client: Option<String>,
}

impl Split {
    /// The server on the first CPU this process may use, the generator on
    /// the others; unpinned when there is only one.
    pub fn default_for_this_machine() -> Split {
        let cpus = allowed_cpus();
        match cpus.split_first() {
            Some((first, rest)) if !rest.is_empty() => {
                Split { server: Some(first.to_string()), client: Some(cpu_list(rest)) }
            }
            _ => Split::default(),
        }
    }
}

/// The CPUs this process may run on.
pub fn allowed_cpus() -> Vec<usize> {
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count()).filter(|&cpu| set.is_set(cpu).unwrap_or(false)).collect(),
        Err(_) => (0..std::thread::available_parallelism().map_or(1, usize::from)).collect(),
    }
}

/// Restricts the calling thread, and every thread it starts from now on,
/// to `cpus`. Call it before the async runtime is built.
pub fn pin_this_process(cpus: &str) -> Result<(), String> {
    let mut set = CpuSet::new();
    for cpu in parse_cpu_list(cpus)? {
        set.set(cpu).map_err(|e| format!("CPU {cpu}: {e}"))?;
    }
    sched_setaffinity(Pid::from_raw(0), &set).map_err(|e| format!("sched_setaffinity {cpus}: {e}"))
}

/// Parses a `taskset -c` list: numbers and ranges separated by commas.
pub fn parse_cpu_list(list: &str) -> Result<Vec<usize>, String> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let number = |s: &str| s.trim().parse::<usize>().map_err(|_| format!("bad CPU list {list:?}"));
        match part.split_once('-') {
            Some((from, to)) => cpus.extend(number(from)?..=number(to)?),
            None => cpus.push(number(part)?),
        }
    }
    if cpus.is_empty() {
        return Err(format!("empty CPU list {list:?}"));
    }
    Ok(cpus)
}

/// The shortest `taskset -c` list for `cpus` (sorted).
fn cpu_list(cpus: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(if i == j { cpus[i].to_string() } else { format!("{}-{}", cpus[i], cpus[j]) });
        i = j + 1;
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists_parse_and_print_like_taskset() {
        assert_eq!(parse_cpu_list("0").unwrap(), vec![0]);
        assert_eq!(parse_cpu_list("1-3,5").unwrap(), vec![1, 2, 3, 5]);
        assert!(parse_cpu_list("a").is_err());
        assert!(parse_cpu_list("").is_err());
        assert_eq!(cpu_list(&[1, 2, 3, 5, 7, 8]), "1-3,5,7-8");
        assert_eq!(cpu_list(&[4]), "4");
    }

    #[test]
    fn threads_started_after_pinning_inherit_the_cpus() {
        let cpu = *allowed_cpus().last().expect("some CPU");
        // In a thread of its own, so the test runner's threads stay as they are.
        let inherited = std::thread::spawn(move || {
            pin_this_process(&cpu.to_string()).expect("pin");
            std::thread::spawn(allowed_cpus).join().expect("child")
        })
        .join()
        .expect("pinned thread");
        assert_eq!(inherited, vec![cpu]);
    }

    #[test]
    fn the_default_split_gives_the_server_one_cpu_and_the_generator_the_rest() {
        let cpus = allowed_cpus();
        let split = Split::default_for_this_machine();
        if cpus.len() < 2 {
            assert_eq!(split, Split::default());
            return;
        }
        let server = parse_cpu_list(split.server.as_deref().unwrap()).unwrap();
        let client = parse_cpu_list(split.client.as_deref().unwrap()).unwrap();
        assert_eq!(server, vec![cpus[0]]);
        assert_eq!(client, cpus[1..].to_vec());
    }
}
