//! MySQL's session settings that open transactions no `BEGIN` shows, as the
//! tracker reads them from SQL text.
//!
//! - `autocommit = 0`: every statement runs in a transaction that only a
//!   `COMMIT` or `ROLLBACK` ends, and the next statement opens another.
//! - `completion_type = CHAIN` (1): every `COMMIT` and `ROLLBACK` opens a
//!   new transaction at once, unless it says `AND NO CHAIN` (the hooks'
//!   own do: see `held_commit`).
//!
//! A connection in either mode is inside a transaction between any two
//! statements: reads there see a snapshot that may be older than the
//! cache's tags, and must not fill (see `tracking::ReadPolicy`), and hook
//! writes wait for the `COMMIT`. A value this cannot read (`SET autocommit
//! = @mode`, `DEFAULT`) counts as the mode that opens transactions: a miss
//! that does not fill is microseconds, a stale fill lives until its
//! timeout.

/// Whether `lower` (a lower-cased `COMMIT` or `ROLLBACK`) says `AND NO
/// CHAIN`, or is an `XA` statement (whose end `completion_type` never
/// chains).
pub(crate) fn says_no_chain(lower: &str) -> bool {
    let xa = lower
        .trim_start()
        .strip_prefix("xa")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_whitespace()));
    xa || lower.contains("no chain")
}

/// What one statement text sets (`None`: left as it was).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `autocommit`: `Some(false)` opens the implicit-transaction mode.
    pub(crate) autocommit: Option<bool>,
    /// `completion_type`: `Some(true)` for `CHAIN`.
    pub(crate) chain: Option<bool>,
    /// `Some(true)` at `LOCK TABLES`, `Some(false)` at `UNLOCK TABLES`
    /// (set by the statement splitter, not by a `SET`): `UNLOCK TABLES`
    /// commits the open transaction when the session holds locks taken by
    /// `LOCK TABLES`, and only then.
    pub(crate) tables_locked: Option<bool>,
}

/// The session settings `sql` assigns (`SET [SESSION] autocommit = 0`,
/// `SET @@session.completion_type = 'CHAIN'`, `SET autocommit := OFF`,
/// several in one `SET`): a name followed by `=` or `:=`. A name read but
/// not assigned (`SELECT @@autocommit`) sets nothing.
pub(crate) fn settings(sql: &str) -> Settings {
    let mentions = |name: &str| {
        sql.as_bytes()
            .windows(name.len())
            .any(|w| w.eq_ignore_ascii_case(name.as_bytes()))
    };
    if !mentions("autocommit") && !mentions("completion_type") {
        return Settings::default();
    }
    // Backquotes only quote the names (`` SET `autocommit` = 0 ``,
    // `` @@`autocommit` ``).
    let lower = sql.to_ascii_lowercase().replace('`', "");
    Settings {
        autocommit: assigned(&lower, "autocommit")
            .map(|value| matches!(value, "1" | "on" | "true")),
        chain: assigned(&lower, "completion_type")
            .map(|value| !matches!(value, "0" | "no_chain" | "2" | "release")),
        tables_locked: None,
    }
}

/// The value (a word, unquoted; `""` when it is not one) last assigned to
/// `name` in `lower` (lower-case SQL), if any.
fn assigned<'s>(lower: &'s str, name: &str) -> Option<&'s str> {
    let bytes = lower.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut found = None;
    let mut from = 0;
    while let Some(at) = lower[from..].find(name).map(|i| from + i) {
        from = at + name.len();
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(word) || bytes.get(from).copied().is_some_and(word) {
            continue;
        }
        let rest = lower[from..].trim_start();
        let Some(rest) = rest.strip_prefix(":=").or_else(|| rest.strip_prefix('=')) else {
            continue;
        };
        let rest = rest.trim_start().trim_start_matches(['\'', '"', '`']);
        let end = rest.bytes().position(|b| !word(b)).unwrap_or(rest.len());
        // A word, then the end of the assignment; anything else (`1 - 1`,
        // `IF(..)`) is an expression this cannot read: `""`.
        let after = rest[end..]
            .trim_start_matches(['\'', '"', '`'])
            .trim_start();
        let whole = after.is_empty() || after.starts_with([',', ';']);
        found = Some(if whole { &rest[..end] } else { "" });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xa_statements_and_and_no_chain_are_never_chained() {
        for sql in [
            "COMMIT AND NO CHAIN",
            "rollback and no chain",
            "XA ROLLBACK 'x'",
            "xa\tprepare 'x'",
        ] {
            assert!(says_no_chain(&sql.to_ascii_lowercase()), "{sql}");
        }
        for sql in ["COMMIT", "ROLLBACK", "XACT", "COMMIT AND CHAIN"] {
            assert!(!says_no_chain(&sql.to_ascii_lowercase()), "{sql}");
        }
    }

    #[test]
    fn assignments_are_read_in_every_spelling() {
        let off = Settings {
            autocommit: Some(false),
            ..Settings::default()
        };
        for sql in [
            "SET autocommit = 0",
            "SET autocommit=OFF",
            "set session autocommit := false",
            "SET @@session.autocommit = 0",
            "SET @@autocommit=0",
            "SET LOCAL autocommit = @saved",
            "SET autocommit = DEFAULT",
            "SET SESSION autocommit = 1 - 1",
            "SET autocommit = IF(@x, 1, 0)",
            "SET autocommit = 1 + 0 -- a comment",
            "SET `autocommit`=0",
            "SET @@`autocommit` = 0",
            "SET @@session.`autocommit` := 0",
        ] {
            assert_eq!(settings(sql), off, "{sql}");
        }
        assert_eq!(settings("SET autocommit = 1").autocommit, Some(true));
        assert_eq!(settings("SET autocommit = ON").autocommit, Some(true));
        for sql in [
            "SET SESSION completion_type = 'CHAIN'",
            "SET completion_type=1",
            "SET @@completion_type = \"chain\"",
            "SET completion_type = @x",
            "SET completion_type = 0 + 1",
        ] {
            assert_eq!(settings(sql).chain, Some(true), "{sql}");
        }
        for sql in [
            "SET completion_type = 0",
            "SET completion_type = 'NO_CHAIN'",
            "SET completion_type = RELEASE",
        ] {
            assert_eq!(settings(sql).chain, Some(false), "{sql}");
        }
        let both = settings("SET autocommit = 0, completion_type = 'CHAIN'");
        assert_eq!(both.autocommit, Some(false));
        assert_eq!(both.chain, Some(true));
        // The last assignment wins.
        assert_eq!(
            settings("SET autocommit = 0; SET autocommit = 1").autocommit,
            Some(true)
        );
    }

    #[test]
    fn names_read_or_inside_other_words_set_nothing() {
        for sql in [
            "SELECT @@autocommit, @@in_transaction",
            "SELECT @@completion_type",
            "SELECT my_autocommit = 0 FROM t",
            "UPDATE t SET autocommits = 0",
            "SELECT 1",
        ] {
            assert_eq!(settings(sql), Settings::default(), "{sql}");
        }
    }
}
