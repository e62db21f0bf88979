//! repodeck: library root wiring the modules together.
