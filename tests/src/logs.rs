//! Captures the tracing events a closure emits on its thread, as formatted
//! text.
//!
//! One process-wide subscriber (installed by the first capture) formats
//! debug events into the buffer of the thread that is capturing, if any.
//! A subscriber per capture (`with_default`) lost events: a callsite first
//! reached by another test's thread, with no subscriber, could keep the
//! interest it cached then.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

thread_local! {
    static BUFFER: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Writes into the capturing thread's buffer; elsewhere, nowhere.
struct ThreadBuffer;

impl Write for ThreadBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        BUFFER.with(|b| {
            if let Some(buffer) = b.borrow_mut().as_mut() {
                buffer.extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f` capturing the debug events of this thread; returns its result
/// and the log lines.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .without_time()
            .with_writer(|| ThreadBuffer)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test binaries");
        tracing::callsite::rebuild_interest_cache();
    });
    BUFFER.with(|b| *b.borrow_mut() = Some(Vec::new()));
    let out = f();
    let bytes = BUFFER.with(|b| b.borrow_mut().take()).unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (out, text.lines().map(str::to_owned).collect())
}
