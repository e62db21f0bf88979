//! Logging: tracing to a file under the data directory, never to stdout/stderr (the TUI owns the
//! terminal). `RUST_LOG` wins over `--log-level`; `--log-format json` writes one JSON object a line.

use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Keeps the background log writer alive; drop it last to flush.
pub struct LogGuard {
    _guard: Option<tracing_appender::non_blocking::WorkerGuard>,
    pub path: Option<PathBuf>,
}

/// The directory log files go to.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Installs the global subscriber writing to `<data_dir>/logs/repodeck.log`. If the directory
/// cannot be created, logging is off (and a later store error will say why).
pub fn init(data_dir: &Path, level: Option<&str>, format: LogFormat) -> Result<LogGuard, String> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => {
            EnvFilter::try_new(v.trim()).map_err(|e| format!("RUST_LOG is invalid: {e}"))?
        }
        _ => {
            let level = level.unwrap_or("info");
            let plain_level = ["trace", "debug", "info", "warn", "error", "off"]
                .contains(&level.to_ascii_lowercase().as_str());
            if !plain_level && !level.contains('=') {
                return Err(format!(
                    "--log-level \"{level}\" is invalid; use trace, debug, info, warn, error or off (or a filter like repodeck=debug)"
                ));
            }
            EnvFilter::try_new(level).map_err(|e| {
                format!("--log-level \"{level}\" is invalid ({e}); use trace, debug, info, warn or error")
            })?
        }
    };
    let dir = log_dir(data_dir);
    if std::fs::create_dir_all(&dir).is_err() {
        return Ok(LogGuard {
            _guard: None,
            path: None,
        });
    }
    crate::dirs::private_dir(data_dir);
    crate::dirs::private_dir(&dir);
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("repodeck")
        .filename_suffix("log")
        .max_log_files(7)
        .build(&dir)
        .map_err(|e| format!("cannot open a log file in {}: {e}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    // A subscriber already installed (tests) is fine.
    drop(result);
    Ok(LogGuard {
        _guard: Some(guard),
        path: Some(dir),
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
