//! MySQL's session settings that open transactions no `BEGIN` shows, as the
//! tracker reads them from SQL text.
//!
//! - `autocommit = 0`: every statement runs in a transaction that only a
//!   `COMMIT` or `ROLLBACK` ends, and the next statement opens another.
//! - `completion_type = CHAIN` (1): every `COMMIT` and `ROLLBACK` opens a
//!   new transaction at once, unless it says `AND NO CHAIN` (the hooks'
//!   own do: see `writes::announced_commit`).
//!
//! A connection in either mode is inside a transaction between any two
//! statements: reads there see a snapshot that may be older than the
//! cache's tags, and must not fill (see `tracking::ReadPolicy`), and hook
//! writes wait for the `COMMIT`. A value this cannot read (`SET autocommit
//! = @mode`, `DEFAULT`, an expression) leaves the mode unknown, as does a
//! `SET GLOBAL` or `PERSIST` of either (which one the session gets depends
//! on modifiers this does not follow): such a `SET` is a statement the
//! tracker cannot read, and it loses track of the session (see
//! `tracking::transaction`'s `doubt_mysql_session`). Counting it as the
//! mode that opens transactions would be wrong the other way: a write
//! that autocommitted would wait for a `COMMIT` that may never come.

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
/// not assigned (`SELECT @@autocommit`), or a user variable (`SET
/// @autocommit = 0`), sets nothing. `None` when the session's mode after
/// it cannot be told: a value this cannot read, or `GLOBAL`/`PERSIST`.
pub(crate) fn settings(sql: &str) -> Option<Settings> {
    let mentions = |name: &str| {
        sql.as_bytes()
            .windows(name.len())
            .any(|w| w.eq_ignore_ascii_case(name.as_bytes()))
    };
    if !mentions("autocommit") && !mentions("completion_type") {
        return Some(Settings::default());
    }
    // Backquotes only quote the names (`` SET `autocommit` = 0 ``,
    // `` @@`autocommit` ``).
    let lower = sql.to_ascii_lowercase().replace('`', "");
    let autocommit = match assigned(&lower, "autocommit") {
        None => None,
        Some("1" | "on" | "true") => Some(true),
        Some("0" | "off" | "false") => Some(false),
        Some(_) => return None,
    };
    let chain = match assigned(&lower, "completion_type") {
        None => None,
        Some("0" | "no_chain" | "2" | "release") => Some(false),
        Some("1" | "chain") => Some(true),
        Some(_) => return None,
    };
    let beyond_session = ["global", "persist", "persist_only"]
        .iter()
        .any(|scope| word_at(&lower, scope).is_some());
    if (autocommit.is_some() || chain.is_some()) && beyond_session {
        return None;
    }
    Some(Settings {
        autocommit,
        chain,
        tables_locked: None,
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Where `word` stands in `lower` as a word of its own (not inside
/// another), from the first such place.
fn word_at(lower: &str, word: &str) -> Option<usize> {
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(at) = lower[from..].find(word).map(|i| from + i) {
        from = at + word.len();
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if !before.is_some_and(is_word_byte) && !bytes.get(from).copied().is_some_and(is_word_byte)
        {
            return Some(at);
        }
    }
    None
}

/// The value (a word, unquoted; `""` when it is not one) last assigned to
/// the system variable `name` in `lower` (lower-case SQL), if any.
fn assigned<'s>(lower: &'s str, name: &str) -> Option<&'s str> {
    let mut found = None;
    let mut from = 0;
    while let Some(at) = word_at(&lower[from..], name).map(|i| from + i) {
        from = at + name.len();
        // `@name`, `@'name'`: a user variable; `@@name`: the setting.
        let before = lower[..at].trim_end_matches(['\'', '"']);
        if before.ends_with('@') && !before.ends_with("@@") {
            continue;
        }
        let rest = lower[from..].trim_start();
        let Some(rest) = rest.strip_prefix(":=").or_else(|| rest.strip_prefix('=')) else {
            continue;
        };
        let rest = rest.trim_start().trim_start_matches(['\'', '"', '`']);
        let end = rest
            .bytes()
            .position(|b| !is_word_byte(b))
            .unwrap_or(rest.len());
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
        let off = Some(Settings {
            autocommit: Some(false),
            ..Settings::default()
        });
        for sql in [
            "SET autocommit = 0",
            "SET autocommit=OFF",
            "set session autocommit := false",
            "SET @@session.autocommit = 0",
            "SET @@autocommit=0",
            "SET `autocommit`=0",
            "SET @@`autocommit` = 0",
            "SET @@session.`autocommit` := 0",
            "SET @autocommit = 1, autocommit = 0",
        ] {
            assert_eq!(settings(sql), off, "{sql}");
        }
        let on = |sql| settings(sql).and_then(|s| s.autocommit);
        assert_eq!(on("SET autocommit = 1"), Some(true));
        assert_eq!(on("SET autocommit = ON"), Some(true));
        let chain = |sql| settings(sql).and_then(|s| s.chain);
        for sql in [
            "SET SESSION completion_type = 'CHAIN'",
            "SET completion_type=1",
            "SET @@completion_type = \"chain\"",
        ] {
            assert_eq!(chain(sql), Some(true), "{sql}");
        }
        for sql in [
            "SET completion_type = 0",
            "SET completion_type = 'NO_CHAIN'",
            "SET completion_type = RELEASE",
        ] {
            assert_eq!(chain(sql), Some(false), "{sql}");
        }
        let both = settings("SET autocommit = 0, completion_type = 'CHAIN'").unwrap();
        assert_eq!(both.autocommit, Some(false));
        assert_eq!(both.chain, Some(true));
        // The last assignment wins.
        assert_eq!(on("SET autocommit = 0; SET autocommit = 1"), Some(true));
    }

    /// A mode this cannot tell: the tracker must lose track, not guess
    /// (found by an outside probe: `DEFAULT` counted as `0` made a write
    /// that autocommitted wait for a `COMMIT`).
    #[test]
    fn values_this_cannot_read_and_other_scopes_are_unknown() {
        for sql in [
            "SET autocommit = DEFAULT",
            "SET LOCAL autocommit = @saved",
            "SET SESSION autocommit = 1 - 1",
            "SET autocommit = IF(@x, 1, 0)",
            "SET autocommit = 1 + 0 -- a comment",
            "SET autocommit = 2",
            "SET completion_type = @x",
            "SET completion_type = 0 + 1",
            "SET completion_type = DEFAULT",
            "SET GLOBAL autocommit = 0",
            "SET @@global.autocommit = 1",
            "SET PERSIST completion_type = 'CHAIN'",
            "SET GLOBAL completion_type = 0, SESSION autocommit = 1",
        ] {
            assert_eq!(settings(sql), None, "{sql}");
        }
    }

    #[test]
    fn names_read_user_variables_and_other_words_set_nothing() {
        for sql in [
            "SELECT @@autocommit, @@in_transaction",
            "SELECT @@completion_type",
            "SELECT my_autocommit = 0 FROM t",
            "UPDATE t SET autocommits = 0",
            "SELECT 1",
            "SET @autocommit = 0",
            "SET @autocommit := DEFAULT",
            "SET @'autocommit' = 0, @\"completion_type\" = 1",
            "SET @`autocommit` = 0",
            "SET @x = @@autocommit",
            "SET GLOBAL max_connections = 10",
        ] {
            assert_eq!(settings(sql), Some(Settings::default()), "{sql}");
        }
    }
}
