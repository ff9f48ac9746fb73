//! The scan for writes anywhere in a statement: each `INSERT`, `REPLACE`,
//! `UPDATE`, `DELETE`, `MERGE` and `INTO` that is a write, its target
//! tables (aliases resolved), and what it found ([`Found`]).

use super::Statement;
use super::lexer::Kind;
use super::statement::{Stmt, push_once};

/// What the scan for writes found in a statement.
#[derive(Default)]
pub(super) struct Found {
    pub(super) tables: Vec<String>,
    /// A write keyword whose target could not be read.
    pub(super) unsure: bool,
}

impl Found {
    pub(super) fn push(&mut self, name: String) {
        push_once(&mut self.tables, name);
    }

    pub(super) fn statement(self) -> Statement {
        if self.unsure {
            Statement::Unknown
        } else if self.tables.is_empty() {
            Statement::Read
        } else {
            Statement::Writes(self.tables)
        }
    }
}
/// What may stand just before a write keyword that is not a write:
/// `FOR UPDATE`, `KEY UPDATE`, `DO UPDATE`, `ON DELETE`, `BEFORE INSERT`,
/// `OR REPLACE`, `THEN DELETE`, `GRANT UPDATE`, `ENGINE = MERGE`, ...
const NOT_AFTER: &[&str] = &[
    "for",
    "key",
    "do",
    "on",
    "before",
    "after",
    "or",
    "of",
    "then",
    "instead",
    "grant",
    "revoke",
    "conflict",
    "engine",
    "algorithm",
];

/// Scans tokens from `from` for writes anywhere in the statement.
pub(super) fn scan_writes(s: &Stmt, from: usize, found: &mut Found) {
    for i in from..s.len() {
        if s.kind(i) != Some(Kind::Word) {
            continue;
        }
        if s.kw(i, "into") {
            if !into_at(s, i, found) {
                found.unsure = true;
            }
            continue;
        }
        if !s.kw_in(i, &["insert", "replace", "update", "delete", "merge"]) {
            continue;
        }
        if i > 0
            && (s.kw_in(i - 1, NOT_AFTER)
                || s.punct(i - 1, b',')
                || s.punct(i - 1, b'.')
                || s.punct(i - 1, b'='))
        {
            continue;
        }
        if !write_at(s, i, found) {
            found.unsure = true;
        }
    }
}

const JOINS: &[&str] = &[
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "cross",
    "natural",
    "straight_join",
];

/// Words that end a table reference rather than name its alias.
const NOT_ALIAS: &[&str] = &[
    "set",
    "where",
    "on",
    "using",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "cross",
    "natural",
    "straight_join",
    "order",
    "limit",
    "group",
    "having",
    "partition",
    "use",
    "force",
    "ignore",
    "window",
    "union",
    "for",
    "returning",
    "from",
    "values",
    "select",
    "lock",
];

/// A table reference: its table and its alias.
pub(super) struct TableRef {
    pub(super) table: String,
    alias: Option<String>,
}

/// The table references of a `FROM`-like clause starting at `i` (`a AS x, b
/// JOIN c ON ..`), up to a word of `stop` outside parentheses.
pub(super) fn table_refs(s: &Stmt, mut i: usize, stop: &[&str]) -> Vec<TableRef> {
    let mut out = Vec::new();
    loop {
        while s.kw_in(i, JOINS) {
            i += 1;
        }
        if s.punct(i, b'(') {
            i = s.skip_parens(i);
        } else if let Some((table, next)) = s.name(i) {
            i = next;
            if s.kw(i, "as") {
                i += 1;
            }
            let alias = if s.is_name(i) && !s.kw_in(i, NOT_ALIAS) {
                i += 1;
                s.part(i - 1)
            } else {
                None
            };
            out.push(TableRef { table, alias });
        }
        let mut depth = 0usize;
        loop {
            if i >= s.len() {
                return out;
            }
            if depth == 0 {
                if s.punct(i, b',') {
                    i += 1;
                    break;
                }
                if s.kw_in(i, JOINS) {
                    break;
                }
                if s.kw_in(i, stop) {
                    return out;
                }
            }
            if s.punct(i, b'(') {
                depth += 1;
            } else if s.punct(i, b')') {
                if depth == 0 {
                    return out;
                }
                depth -= 1;
            }
            i += 1;
        }
    }
}

/// MySQL's multi-table `DELETE`: each target, through the aliases of
/// `refs`; a target found in neither takes every table of `refs`.
fn resolve_targets(targets: Vec<String>, refs: &[TableRef], found: &mut Found) {
    for target in targets {
        if let Some(r) = refs.iter().find(|r| r.alias.as_deref() == Some(&target)) {
            found.push(r.table.clone());
        } else if refs.is_empty() || refs.iter().any(|r| r.table == target) {
            found.push(target);
        } else {
            found.push(target);
            for r in refs {
                found.push(r.table.clone());
            }
        }
    }
}

/// The write whose keyword (INSERT, REPLACE, UPDATE, DELETE, MERGE) is at
/// `i`; false if its target cannot be read.
pub(super) fn write_at(s: &Stmt, i: usize, found: &mut Found) -> bool {
    let mut j = i + 1;
    if s.kw(i, "insert") || s.kw(i, "replace") {
        if s.punct(j, b'(') {
            // MySQL's INSERT(str, pos, len, new) and REPLACE(str, a, b).
            return true;
        }
        if s.kw(j, "or") {
            j += 2;
        }
        while s.kw_in(j, &["low_priority", "delayed", "high_priority", "ignore"]) {
            j += 1;
        }
        if s.kw(j, "into") {
            j += 1;
        }
        return match s.name(j) {
            Some((name, _)) => {
                found.push(name);
                true
            }
            None => false,
        };
    }
    if s.kw(i, "merge") {
        if s.kw(j, "into") {
            j += 1;
        }
        return match s.name(j) {
            Some((name, _)) => {
                found.push(name);
                true
            }
            None => false,
        };
    }
    if s.kw(i, "update") {
        if s.kw(j, "or") {
            j += 2;
        }
        while s.kw_in(j, &["only", "low_priority", "ignore"]) {
            j += 1;
        }
        let Some((name, mut k)) = s.name(j) else {
            return false;
        };
        if s.punct(k, b'*') {
            k += 1;
        }
        if s.kw(k, "as") {
            k += 2;
        } else if s.is_name(k) && !s.kw_in(k, NOT_ALIAS) {
            k += 1;
        }
        if s.kw(k, "set") {
            found.push(name);
        } else {
            // MySQL: UPDATE t1, t2 SET .. / UPDATE t1 JOIN t2 ON .. SET ..
            for r in table_refs(s, j, &["set"]) {
                found.push(r.table);
            }
        }
        return true;
    }
    // DELETE
    while s.kw_in(j, &["low_priority", "quick", "ignore"]) {
        j += 1;
    }
    let mut targets = Vec::new();
    if s.kw(j, "from") {
        let k = s.name_list(j + 1, &mut targets);
        match targets.len() {
            0 => false,
            1 => {
                for t in targets {
                    found.push(t);
                }
                true
            }
            _ => {
                // MySQL: DELETE FROM t1, t2 USING ..
                let refs = if s.kw(k, "using") {
                    table_refs(s, k + 1, &["where", "order", "limit", "returning"])
                } else {
                    Vec::new()
                };
                resolve_targets(targets, &refs, found);
                true
            }
        }
    } else {
        // MySQL: DELETE t1, t2 FROM ..
        let k = s.name_list(j, &mut targets);
        if targets.is_empty() {
            return false;
        }
        let refs = if s.kw(k, "from") {
            table_refs(s, k + 1, &["where", "order", "limit", "returning"])
        } else {
            Vec::new()
        };
        resolve_targets(targets, &refs, found);
        true
    }
}

/// `INTO t` (`INSERT INTO`, `SELECT .. INTO t`, `LOAD DATA .. INTO TABLE
/// t`); not `INTO OUTFILE | DUMPFILE 'f'`, `INTO @var`, `VACUUM INTO 'f'`.
fn into_at(s: &Stmt, i: usize, found: &mut Found) -> bool {
    let mut j = i + 1;
    while s.kw_in(j, &["temp", "temporary", "unlogged", "table"]) {
        j += 1;
    }
    if s.kw_in(j, &["outfile", "dumpfile", "strict"])
        || s.punct(j, b'@')
        || matches!(s.kind(j), Some(Kind::Str | Kind::Param))
    {
        return true;
    }
    match s.name(j) {
        Some((name, _)) => {
            found.push(name);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests;
