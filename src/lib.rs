//! repodeck: library root wiring the modules together.

pub mod fakehub;
