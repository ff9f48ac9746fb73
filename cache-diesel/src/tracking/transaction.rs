//! Following the transaction from the statements that ran: `BEGIN`,
//! savepoints, `COMMIT` and `ROLLBACK [TO]`, the tables each level wrote,
//! session settings, and losing track when it cannot be sure.

use super::{CacheTracking, Level, Pending};
use crate::sql_tables::{Dialect, Statement};
use std::collections::BTreeSet;

impl CacheTracking {
    /// Applies a statement that succeeded.
    pub(super) fn step(&mut self, statement: Statement, from_hook: bool) {
        match statement {
            Statement::Read => {}
            Statement::Writes(tables) => self.record(tables, false, from_hook),
            Statement::Unknown => {
                if self.dialect == Dialect::Mysql && !from_hook {
                    // It may have opened, ended or chained a transaction, or
                    // set the session's modes: from here on, nothing later
                    // in the batch (a `ROLLBACK TO`) may drop what it did.
                    self.doubt_mysql_session(&[Statement::Unknown], from_hook);
                }
                self.record(Vec::new(), true, from_hook)
            }
            Statement::Begin => {
                // MySQL commits the open transaction first (one the tracker
                // lost track of too).
                if self.dialect == Dialect::Mysql && self.in_transaction() {
                    self.end(true);
                }
                // and releases the tables `LOCK TABLES` locked
                (self.tables_locked, self.tables_lock_unknown) = (false, false);
                if self.levels.is_empty() {
                    self.levels.push(Level::default());
                }
            }
            Statement::Commit => {
                self.end(true);
                self.reopen();
            }
            Statement::Rollback => {
                self.end(false);
                self.reopen();
            }
            Statement::ImplicitCommit => self.implicit_commit(),
            Statement::Savepoint(name) => {
                // Outside a transaction, SQLite's SAVEPOINT begins one; MySQL
                // and PostgreSQL do not (PostgreSQL refuses it).
                let begins = self.dialect == Dialect::Sqlite || !self.levels.is_empty();
                match self.dialect {
                    _ if begins => self.levels.push(Level {
                        savepoint: Some(name),
                        pending: Pending::default(),
                    }),
                    Dialect::Any => self.lose_track(),
                    _ => {}
                }
            }
            Statement::Release(name) => match self.find(&name) {
                Some(0) => self.end(true), // SQLite: releasing the outermost commits
                Some(i) => {
                    let released: Vec<Level> = self.levels.drain(i..).collect();
                    let parent = &mut self.levels[i - 1].pending;
                    released.into_iter().for_each(|l| parent.absorb(l.pending));
                }
                None => self.lose_track(),
            },
            Statement::Session(set) => self.follow_session(set),
            Statement::RollbackTo(name) => match self.find(&name) {
                Some(i) => {
                    self.levels.truncate(i + 1);
                    self.levels[i].pending = Pending::default();
                }
                None => self.lose_track(),
            },
        }
    }

    /// The innermost level of the savepoint `name`.
    pub(super) fn find(&self, name: &str) -> Option<usize> {
        self.levels
            .iter()
            .rposition(|l| l.savepoint.as_deref() == Some(name))
    }

    /// A write: deferred inside a transaction, invalidated now outside one
    /// (unless a hook wrote it: the hook invalidates).
    pub(super) fn record(&mut self, tables: Vec<String>, everything: bool, from_hook: bool) {
        let written: BTreeSet<String> = tables.into_iter().collect();
        let pending = Pending {
            unseen: if from_hook && !self.replies_unreliable {
                BTreeSet::new()
            } else {
                written.clone()
            },
            everything: everything && !from_hook,
            written,
            wrote_any: everything,
            deferred: Vec::new(),
        };
        match self.levels.last_mut() {
            Some(level) => level.pending.absorb(pending),
            None if !pending.is_empty() => {
                self.invalidate(&pending, "unseen write");
                if let Some(reminder) = &mut self.reminder {
                    reminder.absorb(pending);
                }
            }
            None => {}
        }
    }

    /// The end of the transaction: invalidates what it did if it may have
    /// committed, then what was owed since the tracker lost track.
    pub(super) fn end(&mut self, committed: bool) {
        let mut done = Pending::default();
        for level in self.levels.drain(..) {
            done.absorb(level.pending);
        }
        if committed {
            self.invalidate(&done, "commit");
        }
        if let Some(reminder) = self.reminder.take() {
            self.invalidate(&reminder, "transaction end after lost track");
        }
        if self.session_unsure {
            self.reminder = Some(Pending::default());
        }
    }

    /// After a transaction ended: opens the next one where the session's
    /// MySQL settings open it at once (see `sql_tables::mysql_session`).
    pub(super) fn reopen(&mut self) {
        let chained = self.chain && !self.no_chain;
        if self.levels.is_empty() && (self.autocommit_off || chained) {
            self.levels.push(Level::default());
        }
    }

    /// MySQL's implicit commit: the open transaction ends, committed.
    fn implicit_commit(&mut self) {
        self.end(true);
        // The next statement opens a transaction under autocommit = 0
        // only: an implicit commit is never chained.
        if self.autocommit_off && self.levels.is_empty() {
            self.levels.push(Level::default());
        }
    }

    /// Follows the MySQL session settings a `SET` assigned (see
    /// `sql_tables::mysql_session`): `autocommit = 0` opens a transaction (and keeps
    /// one open), `autocommit = 1` commits it, `completion_type = CHAIN`
    /// chains the next `COMMIT`s, and `UNLOCK TABLES` commits it while
    /// `LOCK TABLES` holds locks.
    fn follow_session(&mut self, set: crate::sql_tables::mysql_session::Settings) {
        if !matches!(self.dialect, Dialect::Mysql | Dialect::Any) {
            return;
        }
        if let Some(chain) = set.chain {
            self.chain = chain;
        }
        match set.tables_locked {
            Some(true) => (self.tables_locked, self.tables_lock_unknown) = (true, false),
            Some(false) if self.tables_lock_unknown => {
                // It commits if `LOCK TABLES` took locks, and the server
                // cannot be asked whether it did.
                self.tables_lock_unknown = false;
                self.doubt_mysql_session(&[Statement::Unknown], false);
            }
            Some(false) if self.tables_locked => {
                self.tables_locked = false;
                self.implicit_commit();
            }
            _ => {}
        }
        match set.autocommit {
            Some(false) => {
                self.autocommit_off = true;
                self.reopen();
            }
            // It commits the open transaction (one the tracker lost track
            // of too: `autocommit = 0` may have been set unseen).
            Some(true) if self.autocommit_off || self.reminder.is_some() => {
                self.autocommit_off = false;
                self.end(true);
            }
            _ => {}
        }
    }

    /// Whether a connection that can ask the server where its session
    /// stands (MariaDB's, PostgreSQL's: the callers know their connection
    /// types) should ask before a read: the tracker lost track, and the
    /// answer will be the question's (no statement given up before it).
    #[cfg(any(
        feature = "mysql",
        feature = "async-mysql",
        feature = "postgres-system-libpq",
        feature = "async-postgres"
    ))]
    pub(crate) fn wants_resync(&self) -> bool {
        (self.session_unsure || self.reminder.is_some()) && !self.may_misread()
    }

    /// What the server said of the session: whether a transaction is
    /// open, and on MySQL `autocommit` and whether `completion_type`
    /// chains (PostgreSQL: `true`, `false`). It replaces the tracker's
    /// guesses. What was written since it lost track goes to the open
    /// transaction, to be invalidated again at its end; with none open,
    /// whatever committed it has (an unseen commit can only come from a
    /// statement the tracker could not read, invalidated after it ran), so
    /// it is invalidated once more now and forgotten.
    #[cfg(any(
        feature = "mysql",
        feature = "async-mysql",
        feature = "postgres-system-libpq",
        feature = "async-postgres"
    ))]
    pub(crate) fn resync(&mut self, open: bool, autocommit: bool, chain: bool) {
        let lost = self.reminder.take();
        if self.dialect == Dialect::Mysql && (self.session_unsure || lost.is_some()) {
            self.tables_lock_unknown = true;
        }
        self.session_unsure = false;
        (self.autocommit_off, self.chain) = (!autocommit, chain);
        // Under autocommit = 0 a transaction starts at the next statement
        // that touches a table (`@@in_transaction` says 0 until then).
        if open || !autocommit {
            let unknown = self.levels.is_empty() && lost.is_none();
            if self.levels.is_empty() {
                self.levels.push(Level::default());
            }
            if let Some(lost) = lost {
                self.levels[0].pending.absorb(lost);
            }
            if unknown && open {
                // Open since before the tracker knew the session: what it
                // took for autocommitted writes may be in it, invalidated
                // before they commit. Anything may commit at its end.
                self.record(Vec::new(), true, false);
            }
        } else {
            if !self.levels.is_empty() {
                self.end(true);
            }
            if let Some(lost) = lost {
                self.invalidate(&lost, "the server says no transaction is open");
            }
        }
    }

    /// The statements `sql` holds, as the connection's server reads them.
    pub(super) fn analyze(&self, sql: &str) -> Vec<Statement> {
        use crate::sql_tables::{analyze_mysql_either_escapes, analyze_postgres_either_strings};
        match self.dialect {
            Dialect::Mysql if self.escapes_unsure => analyze_mysql_either_escapes(sql),
            Dialect::Postgres if self.escapes_unsure => analyze_postgres_either_strings(sql),
            d => crate::sql_tables::analyze(sql, d),
        }
    }

    /// On MySQL, a statement the tracker cannot read (`CALL`, `EXECUTE`, a
    /// compound statement: `Unknown`) may open a transaction, or set
    /// `autocommit` or `completion_type` so that one opens unseen after
    /// any statement: the tracker loses track, and for the rest of the
    /// connection's life starts over lost after every end of a
    /// transaction (its reads fill nothing; its writes are invalidated at
    /// once and again at every end).
    pub(super) fn doubt_mysql_session(&mut self, statements: &[Statement], from_hook: bool) {
        if self.dialect == Dialect::Mysql && !from_hook && statements.contains(&Statement::Unknown)
        {
            self.session_unsure = true;
            self.lose_track();
        }
    }

    /// The tracker cannot tell whether a transaction is open: invalidates
    /// what is pending now, and remembers it for the next transaction end.
    pub(super) fn lose_track(&mut self) {
        let mut pending = Pending::default();
        for level in self.levels.drain(..) {
            pending.absorb(level.pending);
        }
        self.invalidate(&pending, "lost track of the transaction");
        self.reminder
            .get_or_insert_with(Pending::default)
            .absorb(pending);
    }
}

#[cfg(test)]
#[cfg(any(feature = "postgres-system-libpq", feature = "async-postgres"))]
mod tests {
    use super::super::tests::{everything, run, tracker};

    /// PostgreSQL: text read by its own rules once
    /// `standard_conforming_strings` was mentioned, and what the server
    /// says once the tracker lost track (found from outside: the
    /// connection's reads filled nothing for the rest of its life).
    #[test]
    fn a_postgres_tracker_that_lost_track_follows_the_server() {
        let (mut t, epoch) = tracker();
        run(&mut t, "SET standard_conforming_strings = on");
        run(&mut t, "/* a /* b */ ' */ SELECT $$'$$; UPDATE t SET a = 1");
        assert!(
            !t.in_transaction() && !t.wants_resync(),
            "read as PostgreSQL"
        );
        assert!(epoch().is_some());
        let two_ways = r"SELECT 'b\'; SELECT 1; --'";
        run(&mut t, &format!("BEGIN; UPDATE t SET a = 2; {two_ways}"));
        assert!(t.wants_resync() && t.in_transaction());
        t.resync(true, true, false);
        assert!(!t.wants_resync() && t.transaction_wrote("t"));
        // (What the lost stretch wrote includes "anything": the `all` tag.)
        let before = everything(&t);
        run(&mut t, "COMMIT");
        assert_ne!(everything(&t), before, "what the lost stretch wrote, again");
        assert!(!t.in_transaction());
        run(&mut t, two_ways);
        assert!(t.wants_resync());
        t.resync(false, true, false);
        assert!(!t.in_transaction() && !t.wants_resync());
    }
}
