//! repodeck: a keyboard-driven terminal command center for the GitHub repositories you care about.
//! This library root wires the modules together; `main.rs` is only the entry point.

pub mod cli;
pub mod commands;
pub mod config;
pub mod dirs;
pub mod domain;
pub mod fakehub;
pub mod filter;
pub mod fmt;
pub mod github;
pub mod host;
pub mod logging;
pub mod notify;
pub mod sanitize;
pub mod secrets;
pub mod serve;
pub mod session;
pub mod store;
pub mod sync;
pub mod tui;
