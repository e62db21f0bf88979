//! `repodeck serve`: the headless daemon (webhook receiver, scheduled sync, allowlist), and its
//! observability: Prometheus metrics (`metrics`) and the health endpoints (`health`).

pub mod health;
pub mod metrics;
