//! What the tracker does at each of Diesel's instrumentation events: a
//! statement starts, finishes (or fails), or is orphaned by a dropped
//! future; and the cheap looks at SQL text that decide what to analyze.

use super::CacheTracking;
use crate::sql_tables::{Dialect, Statement};
use crate::tracking::written_tables::{Bumps, function_writes};
use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

/// How Diesel renders a statement's bind values after its SQL in a
/// `StartQuery` event (`FinishQuery` has the SQL only).
#[cfg(feature = "async")]
pub(super) const BINDS: &str = " -- binds: ";

impl CacheTracking {
    /// One statement (or batch) finished, with `error` if it failed;
    /// `maybe_ran`: its outcome is unknown (its future was dropped after it
    /// was sent), so even inside a transaction it may have written.
    /// `sql` is the statement's text, `None` when Diesel could not render
    /// it.
    pub(super) fn on_finish_of(
        &mut self,
        sql: Option<&str>,
        error: Option<&diesel::result::Error>,
        maybe_ran: bool,
    ) {
        let from_hook = self.hooks.load(Ordering::SeqCst) > 0;
        let Some(sql) = sql else {
            // Diesel could not render it (an empty changeset): it did not
            // run, it failed; had it run, its FinishQuery would render.
            if error.is_none() {
                self.record(Vec::new(), true, from_hook);
            }
            return;
        };
        let mut statements = self.analyze(sql);
        if std::mem::take(&mut self.first_only) {
            statements.truncate(1);
        }
        let written = function_writes(sql, self.text_dialect());
        if !written.is_empty() {
            statements.push(Statement::Writes(written));
        }
        let lower = sql.to_ascii_lowercase();
        // They may set MySQL's `NO_BACKSLASH_ESCAPES` or PostgreSQL's
        // `standard_conforming_strings = off`, and with them whether a
        // backslash escapes in strings: from now on text is read both ways
        // (by the database's own rules: under every dialect's, PostgreSQL's
        // nested comments and dollar quotes read as unterminated text, and
        // the tracker lost track of valid PostgreSQL).
        self.escapes_unsure |= match self.dialect {
            Dialect::Postgres => error.is_none() && mentions_string_settings(&lower),
            Dialect::Mysql => lower.contains("sql_mode"),
            _ => false,
        };
        let Some(error) = error else {
            self.note_temporary_tables(&lower, &statements);
            // The text after an unterminated token (or where two readings
            // of it differ) is one Unknown: it may hide the BEGIN or COMMIT
            // that opens or ends a transaction.
            if let [_, .., Statement::Unknown] = statements.as_slice() {
                self.lose_track();
                self.record(Vec::new(), true, from_hook);
                self.doubt_mysql_session(&statements, from_hook);
                return;
            }
            // (An `Unknown` doubts the MySQL session where it stands, as it
            // is stepped; whether a COMMIT of this batch chains is read as
            // it is stepped: a `SET completion_type` before it counts.)
            self.no_chain = crate::sql_tables::mysql_session::says_no_chain(&lower);
            statements.into_iter().for_each(|s| self.step(s, from_hook));
            return;
        };
        let controls = statements.iter().any(|s| {
            !matches!(
                s,
                Statement::Read | Statement::Writes(_) | Statement::Unknown
            )
        });
        // A failed `CALL` or compound statement ran what came before its
        // failure.
        let unknown = statements.contains(&Statement::Unknown);
        self.doubt_mysql_session(&statements, from_hook);
        match statements.as_slice() {
            // SQLite's COMMIT fails with the transaction still open (a
            // reader holds the database: SQLITE_BUSY) or rolled back;
            // MySQL's may leave it open too (`XAER_RMFAIL` inside `XA
            // START`), or have committed, its reply lost: what it wrote is
            // invalidated now and again at the next end.
            [Statement::Commit] if self.dialect != Dialect::Postgres => self.lose_track(),
            // PostgreSQL's ends the transaction: committed if its reply was
            // lost. A ROLLBACK that failed leaves the transaction unknown.
            [Statement::Commit] => self.end(true),
            [Statement::Rollback] => self.lose_track(),
            // Inside a transaction, a failed statement changed nothing that
            // can commit; but MySQL (a deadlock's victim; a lock wait
            // timeout under `innodb_rollback_on_timeout`) and SQLite (`OR
            // ROLLBACK`, `RAISE(ROLLBACK)`, a full disk) may have rolled
            // the transaction back: the next writes may commit at once.
            // PostgreSQL keeps a failed transaction open until its end.
            _ if !maybe_ran && !self.levels.is_empty() && !controls => {
                if self.dialect != Dialect::Postgres {
                    self.lose_track();
                }
            }
            // Outside one, only a failure the server reported is certain: a
            // lost reply may follow a write that committed.
            _ if !maybe_ran && certainly_failed(error) && !controls && !unknown => {}
            _ => {
                if controls {
                    self.lose_track(); // which of the batch ran is unknown
                }
                // A failed hook does not invalidate: its writes count as
                // unseen.
                for statement in statements {
                    match statement {
                        Statement::Writes(tables) => self.record(tables, false, false),
                        Statement::Unknown => self.record(Vec::new(), true, false),
                        _ => {}
                    }
                }
            }
        }
    }

    /// A statement is about to run on a connection that may block: if it
    /// commits a transaction with writes pending, their bumps are announced
    /// first (`Engine::announce_bumps`), so that they outlive this process
    /// should it die between the `COMMIT` and the bumps. (An async
    /// connection's instrumentation cannot wait for the store:
    /// `transaction_async` announces before its commit instead.)
    pub(super) fn on_start(&mut self, query: &dyn std::fmt::Display) {
        if self.levels.iter().all(|l| l.pending.is_empty()) {
            return;
        }
        let mut sql = String::new();
        if write!(sql, "{query}").is_err() || !may_end_a_transaction(&sql) {
            return;
        }
        let commits = self.analyze(&sql).iter().any(|s| match s {
            Statement::Commit | Statement::ImplicitCommit => true,
            Statement::Release(name) => self.find(name) == Some(0),
            Statement::Session(set) => set.tables_locked == Some(false) && self.tables_locked,
            Statement::Begin => self.dialect == Dialect::Mysql,
            _ => false,
        });
        if commits {
            self.announcement().announce();
        }
    }

    /// The bumps the commit of the open transaction will make, to announce
    /// before it (see `Engine::announce_bumps`).
    pub(crate) fn announcement(&self) -> Bumps {
        let mut bumps = Bumps::default();
        let (mut unseen, mut everything) = (BTreeSet::new(), false);
        for pending in self.levels.iter().map(|l| &l.pending) {
            for d in &pending.deferred {
                bumps.add_all(&d.cache, &d.tags);
            }
            unseen.extend(pending.unseen.iter().cloned());
            everything |= pending.everything;
        }
        if !unseen.is_empty() || everything {
            bumps = bumps.tables(self.caches.as_deref(), &unseen, everything);
        }
        bumps
    }

    /// One statement (or batch) finished, with `error` if it failed.
    #[cfg(test)]
    pub(super) fn on_finish(
        &mut self,
        query: &dyn std::fmt::Display,
        error: Option<&diesel::result::Error>,
    ) {
        self.on_finish_of(render(query).as_deref(), error, false)
    }

    /// A statement whose future was dropped after it may have reached the
    /// database: its outcome is unknown, as a statement whose reply was
    /// lost.
    #[cfg(feature = "async")]
    pub(super) fn on_orphan(&mut self, sql: &str) {
        tracing::debug!(
            sql,
            "a statement was cancelled after it was sent: treated as run"
        );
        let sql = sql.split(BINDS).next().unwrap_or(sql);
        self.on_finish_of(
            Some(sql),
            Some(&diesel::result::Error::BrokenTransactionManager),
            true,
        );
    }
}

impl Instrumentation for CacheTracking {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        // Transactions are followed from their SQL (Diesel's own BEGIN,
        // SAVEPOINT, RELEASE, COMMIT and ROLLBACK pass through here too),
        // not from Diesel's transaction events.
        match &event {
            #[cfg(feature = "async")]
            InstrumentationEvent::StartQuery { query, .. } if self.is_async => {
                self.on_sent(query);
            }
            InstrumentationEvent::StartQuery { query, .. } if self.may_block() => {
                self.on_start(query);
            }
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                let sql = render(query);
                #[cfg(feature = "async")]
                if let Some(sql) = &sql {
                    self.settle_in_flight(sql, *error);
                }
                self.first_only = self.dialect == Dialect::Sqlite
                    && sql.as_deref().is_some_and(|sql| sql.contains(';'))
                    && is_prepared(*query);
                self.on_finish_of(sql.as_deref(), *error, false);
            }
            _ => {}
        }
        if let Some(inner) = &mut self.inner {
            inner.on_connection_event(event);
        }
    }
}

impl CacheTracking {
    /// The dialect to read a statement's text by where it is read apart
    /// from the tracker (declared functions' calls, statements replayed
    /// after they were given up): once PostgreSQL's strings may read
    /// either way, every dialect's rules, which find what either reading
    /// holds.
    pub(super) fn text_dialect(&self) -> Dialect {
        match self.dialect {
            Dialect::Postgres if self.escapes_unsure => Dialect::Any,
            d => d,
        }
    }

    /// Whether the connection's statements run where the tracker may wait
    /// for the cache (not an async runtime's thread).
    pub(super) fn may_block(&self) -> bool {
        #[cfg(feature = "async")]
        return !self.is_async;
        #[cfg(not(feature = "async"))]
        true
    }
}

/// Whether `sql` may hold a statement that ends a transaction (a cheap
/// look for the keywords before the real analysis).
pub(super) fn may_end_a_transaction(sql: &str) -> bool {
    let lower = sql.to_ascii_lowercase();
    // (MySQL's implicit commits: `sql_tables::split::implicitly_commits`.)
    [
        "commit", "end", "release", "begin", "start", "create", "drop", "alter", "rename",
        "truncate", "grant", "revoke", "analyze", "optimize", "repair", "flush", "cache", "check",
        "lock", "load", "reset", "password",
    ]
    .iter()
    .any(|word| lower.contains(word))
}

/// Whether a statement's failure says for sure that it wrote nothing: the
/// server refused it (a constraint, a serialization failure), or it was
/// never sent. A lost connection says nothing.
pub(crate) fn certainly_failed(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error as E};
    match error {
        E::QueryBuilderError(_) | E::NotInTransaction | E::AlreadyInTransaction => true,
        E::DatabaseError(kind, _) => !matches!(kind, K::ClosedConnection | K::Unknown),
        _ => false,
    }
}

/// A statement's SQL text; `None` when Diesel cannot render it (an empty
/// changeset: its `Display` fails).
pub(super) fn render(query: &dyn std::fmt::Display) -> Option<String> {
    let mut sql = String::new();
    write!(sql, "{query}").ok().map(|()| sql)
}

/// Whether `query` is a prepared statement (Diesel's queries, debugged as
/// `Query { sql, binds }`), not a batch of text (`batch_execute`, debugged
/// as the string): SQLite runs a prepared statement's first statement
/// only. (Asked only of text with a `;` in it.)
fn is_prepared(query: &dyn diesel::connection::DebugQuery) -> bool {
    let mut debugged = String::new();
    write!(debugged, "{query:?}").is_ok() && !debugged.starts_with('"')
}

/// Whether `lower` (lower-cased SQL) sets how PostgreSQL reads
/// backslashes in strings.
fn mentions_string_settings(lower: &str) -> bool {
    lower.contains("standard_conforming_strings") || lower.contains("backslash_quote")
}
