//! Logging while a thread's locals are being destroyed. sled defers work to crossbeam-epoch, whose
//! per-thread handle (a thread-local) runs deferred work as a thread exits, and some of it logs at
//! trace level; a thread that used the store before it first logged destroys that handle after
//! tracing's own thread-locals. Logging then used to panic inside the formatter, the panic hook's
//! log line panicked again, and the process aborted ("thread panicked while processing panic":
//! `repodeck sync --log-level trace` dying now and then under load). The child process here
//! builds that order on purpose: a thread-local that logs when destroyed, registered before the
//! thread first logs, with repodeck's logging and panic hooks installed as `main` installs them.

use std::process::Command;

use repodeck::cli::LogFormat;
use repodeck::logging::{self, Stderr};

/// Set for the child run of [`teardown_child`].
const CHILD: &str = "REPODECK_TEARDOWN_CHILD";

/// Logs from its destructor, as crossbeam-epoch's handle does when it runs sled's deferred work.
struct LogsOnDrop;

impl Drop for LogsOnDrop {
    fn drop(&mut self) {
        tracing::trace!("bumping atomic header lsn (a thread-local destructor logs)");
        tracing::warn!("a warning from a thread-local destructor");
    }
}

thread_local! {
    static EARLY: LogsOnDrop = const { LogsOnDrop };
}

#[test]
fn a_thread_local_destructor_that_logs_does_not_abort_the_process() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["text", "json"] {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "teardown_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, dir.path().join(format))
            .env("REPODECK_TEARDOWN_FORMAT", format)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&child.stderr);
        assert!(
            child.status.success() && !stderr.contains("panicked"),
            "{format}: the child died ({:?}): {stderr}",
            child.status
        );
        assert!(String::from_utf8_lossy(&child.stdout).contains("THREADS DONE"));
        // What the threads logged before they exited is in the log file.
        let logs = std::fs::read_dir(dir.path().join(format).join("logs"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect::<String>();
        assert_eq!(
            logs.matches("a thread logs before it exits").count(),
            20,
            "{logs}"
        );
    }
}

/// Run by the test above in a child process (a failure aborts the whole process).
#[test]
#[ignore = "run in a child process by a_thread_local_destructor_that_logs_does_not_abort_the_process"]
fn teardown_child() {
    let Some(dir) = std::env::var_os(CHILD) else {
        return;
    };
    let format = match std::env::var("REPODECK_TEARDOWN_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Text,
    };
    repodeck::tui::install_hooks().unwrap();
    let log = logging::init(dir.as_ref(), Some("trace"), format, Stderr::default()).unwrap();
    for k in 0..20 {
        std::thread::spawn(move || {
            // First: destroyed last, after tracing's thread-locals.
            EARLY.with(|_| ());
            tracing::info!(k, "a thread logs before it exits");
        })
        .join()
        .unwrap();
    }
    // Flushes the log file.
    drop(log);
    println!("THREADS DONE");
}
