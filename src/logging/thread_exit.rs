//! The thread-exit gate: the outermost tracing layer, which drops the events a thread emits
//! while its thread-locals are being destroyed.
//!
//! Why: tracing-subscriber keeps per-thread state in thread-locals (the formatter's line buffer,
//! the registry's thread id) and reads it with `LocalKey::with`, which panics once that local is
//! gone. Code that logs from a thread-local destructor then panics, the panic hook's own log line
//! panics again, and the process aborts ("thread panicked while processing panic"). It happens
//! in practice: sled defers work to crossbeam-epoch, whose per-thread handle (a thread-local)
//! runs deferred work as a thread exits, and some of it logs at trace level ("bumping atomic
//! header lsn"). A thread that used the store before it first logged holds that handle from
//! before tracing's locals, so it is destroyed after them, and `--log-level trace` aborted
//! `repodeck sync` at exit now and then.
//!
//! How: a thread-local with a destructor, [`ARMED`], is first touched right after the inner
//! layers have handled this thread's first event, span or enter, so it is registered after
//! their thread-locals and (destructors run in reverse order of registration) destroyed before
//! them. Its destructor closes [`GATE`], a plain `Cell` with no destructor that stays readable
//! to the end; a closed gate refuses every later event of that thread. What is lost: log lines
//! emitted by a thread's last thread-local destructors, which could not be written safely.

use std::cell::Cell;

use tracing::span::{Attributes, Id};
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// Not yet armed: the inner layers have not handled anything on this thread.
const UNARMED: u8 = 0;
/// [`ARMED`] is registered: events pass.
const OPEN: u8 = 1;
/// [`ARMED`] was destroyed: this thread is exiting and events are dropped.
const CLOSED: u8 = 2;

thread_local! {
    /// This thread's gate. No destructor, so it is readable while other locals are destroyed.
    static GATE: Cell<u8> = const { Cell::new(UNARMED) };
    /// Registered after the inner layers' thread-locals; closes [`GATE`] when destroyed.
    static ARMED: Armed = const { Armed };
}

struct Armed;

impl Drop for Armed {
    fn drop(&mut self) {
        GATE.set(CLOSED);
    }
}

/// Registers [`ARMED`] once the inner layers have set up their thread-locals on this thread.
fn arm() {
    if GATE.get() == UNARMED {
        // `try_with`: never panics, even when the thread is already exiting.
        if ARMED.try_with(|_| ()).is_ok() {
            GATE.set(OPEN);
        }
    }
}

/// True while this thread may still log: false once its thread-locals are being destroyed.
fn open() -> bool {
    GATE.get() != CLOSED
}

/// The layer; it must be the outermost (added last), so it is asked first and told last.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadExitGate;

impl<S: Subscriber> Layer<S> for ThreadExitGate {
    /// Interest never depends on the thread: a callsite first seen while a thread exits must not
    /// be disabled for every other thread.
    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        tracing::subscriber::Interest::always()
    }

    fn enabled(&self, _: &Metadata<'_>, _: Context<'_, S>) -> bool {
        open()
    }

    fn event_enabled(&self, _: &Event<'_>, _: Context<'_, S>) -> bool {
        open()
    }

    fn on_event(&self, _: &Event<'_>, _: Context<'_, S>) {
        arm();
    }

    fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        arm();
    }

    fn on_enter(&self, _: &Id, _: Context<'_, S>) {
        arm();
    }
}
