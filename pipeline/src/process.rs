//! Process-wide settings of the `routinely` binary and the benchmarks: signals, the memory
//! allocator, peak memory.
//!
//! Ctrl-C and SIGTERM: the first asks the running job to stop cleanly (every source closes
//! its open epoch and the run ends once those epochs are committed); a second one exits at
//! once, which is safe too: undecided epochs are aborted when the job starts again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    // Only async-signal-safe work here: atomics and _exit.
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // SAFETY: _exit is async-signal-safe and ends the process immediately.
        unsafe { libc::_exit(130) };
    }
    STOP.store(true, Ordering::SeqCst);
}

/// Installs the handlers; returns a flag that turns true on the first signal.
pub fn install() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    // SAFETY: sigaction with a handler that only touches atomics and calls _exit.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
    let forward = flag.clone();
    std::thread::spawn(move || {
        while !STOP.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        forward.store(true, Ordering::SeqCst);
    });
    flag
}

/// Peak resident memory of this process (VmHWM), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Keeps glibc's allocator from handing the row path's Arrow buffers back to the kernel after
/// every batch. Each batch allocates column buffers of a few MiB and frees them when the sink
/// is done; with glibc's defaults those are fresh mappings (or a trimmed heap) every time,
/// and re-faulting their pages costs about a third of the row path's time. Raising the mmap
/// threshold to 32 MiB and the trim threshold to 64 MiB keeps them in the heap: at most
/// 64 MiB of freed memory stays with the process. Does nothing on other C libraries.
/// Libraries embedding the operators decide this for themselves; the binary calls it first.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}
