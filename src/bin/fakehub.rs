//! Placeholder until fakehub lands.
fn main() {}
