//! The checker programs (`programs/src/bin`), run briefly as child processes:
//! the consistency checker, the stampede program, the tiered store's
//! coherence program, the fault program and the follower checker. Each
//! runs readers and writers that load both of CI's cores, and their
//! verdicts hold on a loaded
//! machine, but a fault's one-second window does not fit two programs at
//! once: so they run one at a time ([`one_at_a_time`]), and apart from the
//! suite (before, each was a test binary of its own).

mod coherence_program;
mod consistency_checker;
mod faults_program;
mod follow_program;
mod stampede_program;

/// Held by every test of this binary while its program runs.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
