//! Logging: tracing to a file under the data directory, never to stdout (the TUI owns the
//! terminal). `serve --log-stderr` copies each line to stderr for journald; without a writable
//! log directory, a command logs warnings to stderr and the TUI logs nothing. `RUST_LOG` wins
//! over `--log-level`; `--log-format json` writes one JSON object a line.

use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::cli::LogFormat;

mod thread_exit;

pub use thread_exit::ThreadExitGate;

/// Why logging could not be set up. Each message names the setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("RUST_LOG is invalid: {0}; fix it (e.g. RUST_LOG=repodeck=debug) or unset it")]
    RustLog(String),
    #[error(
        "--log-level \"{0}\" is invalid; use trace, debug, info, warn, error or off (or a filter like repodeck=debug)"
    )]
    Level(String),
    #[error("--log-level \"{level}\" is invalid ({detail}); use trace, debug, info, warn or error")]
    Filter { level: String, detail: String },
}

/// Keeps the background log writer alive; drop it last to flush.
pub struct LogGuard {
    _guard: Option<tracing_appender::non_blocking::WorkerGuard>,
    pub path: Option<PathBuf>,
    /// Set when no log file could be opened (a read-only data directory): the one line to tell
    /// the user, saying where logging went instead.
    pub notice: Option<String>,
}

/// The directory log files go to.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// What may reach stderr besides the log file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stderr {
    /// Without a log file, warnings and errors go to stderr (a command, never the TUI).
    pub fallback: bool,
    /// Every line also goes to stderr (`serve --log-stderr`, for journald).
    pub copy: bool,
}

/// Installs the global subscriber writing to `<data_dir>/logs/repodeck.log`. When no log file
/// can be opened there (a read-only or full data directory), nothing stops: with
/// `stderr.fallback` warnings and errors go to stderr, otherwise logging is off, and
/// [`LogGuard::notice`] says which.
pub fn init(
    data_dir: &Path,
    level: Option<&str>,
    format: LogFormat,
    stderr: Stderr,
) -> Result<LogGuard, LogError> {
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), level)?;
    let dir = log_dir(data_dir);
    let appender = std::fs::create_dir_all(&dir)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            crate::dirs::private_dir(data_dir);
            crate::dirs::private_dir(&dir);
            tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("repodeck")
                .filename_suffix("log")
                .max_log_files(7)
                .build(&dir)
                .map_err(|e| e.to_string())
        });
    let appender = match appender {
        Ok(a) => a,
        Err(detail) => return Ok(without_file(&dir, &detail, stderr.fallback || stderr.copy)),
    };
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    // The thread-exit gate outermost: see `thread_exit` (logging from a thread-local destructor).
    let result = if stderr.copy {
        use tracing_subscriber::fmt::writer::MakeWriterExt;
        let builder = builder.with_writer(writer.and(std::io::stderr));
        match format {
            LogFormat::Text => builder.finish().with(ThreadExitGate).try_init(),
            LogFormat::Json => builder.json().finish().with(ThreadExitGate).try_init(),
        }
    } else {
        let builder = builder.with_writer(writer);
        match format {
            LogFormat::Text => builder.finish().with(ThreadExitGate).try_init(),
            LogFormat::Json => builder.json().finish().with(ThreadExitGate).try_init(),
        }
    };
    // A subscriber already installed (tests) is fine.
    drop(result);
    Ok(LogGuard {
        _guard: Some(guard),
        path: Some(dir),
        notice: None,
    })
}

/// No log file: warnings to stderr for a command, nothing for the TUI (it owns the terminal).
fn without_file(dir: &Path, detail: &str, stderr_ok: bool) -> LogGuard {
    let whence = format!("cannot write logs in {} ({detail})", dir.display());
    let notice = if stderr_ok {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new("warn"))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .finish()
            .with(ThreadExitGate)
            .try_init();
        format!("note: {whence}; warnings go to stderr for this run")
    } else {
        format!("note: {whence}; logging is off for this run")
    };
    LogGuard {
        _guard: None,
        path: None,
        notice: Some(notice),
    }
}

/// The filter: `RUST_LOG` when set and not blank, else `--log-level` (default `info`).
fn filter(rust_log: Option<&str>, level: Option<&str>) -> Result<EnvFilter, LogError> {
    if let Some(v) = rust_log.map(str::trim).filter(|v| !v.is_empty()) {
        return EnvFilter::try_new(v).map_err(|e| LogError::RustLog(e.to_string()));
    }
    let level = level.unwrap_or("info");
    let plain_level = ["trace", "debug", "info", "warn", "error", "off"]
        .contains(&level.to_ascii_lowercase().as_str());
    if !plain_level && !level.contains('=') {
        return Err(LogError::Level(level.to_string()));
    }
    EnvFilter::try_new(level).map_err(|e| LogError::Filter {
        level: level.to_string(),
        detail: e.to_string(),
    })
}

/// A test hook in debug builds: panics when `REPODECK_DEBUG_PANIC` names `point`, so end-to-end
/// tests can prove the terminal is restored and no secret leaks when something panics. Release
/// builds compile it to nothing.
#[cfg(debug_assertions)]
pub fn panic_point(point: &str) {
    if std::env::var("REPODECK_DEBUG_PANIC").is_ok_and(|v| v == point) {
        panic!("forced panic at {point} (REPODECK_DEBUG_PANIC)");
    }
}

/// Release builds: nothing.
#[cfg(not(debug_assertions))]
pub fn panic_point(_point: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_levels_name_the_setting_to_fix() {
        let e = filter(None, Some("loud!")).unwrap_err().to_string();
        assert!(
            e.contains("--log-level \"loud!\"") && e.contains("debug"),
            "{e}"
        );
        assert!(filter(None, Some("repodeck=debug")).is_ok());
        assert!(filter(Some("  "), Some("warn")).is_ok());
        let e = filter(Some("repodeck=loud"), None).unwrap_err().to_string();
        assert!(e.starts_with("RUST_LOG is invalid"), "{e}");
    }
}
