//! Classifying one statement by its first keyword: reads, writes,
//! transaction control and savepoints, `CREATE`, `COPY`, `EXPLAIN`, or
//! `Unknown`.

use super::Statement;
use super::lexer::Kind;
use super::statement::Stmt;
use super::writes::{Found, scan_writes, write_at};

const READS: &[&str] = &[
    "select",
    "with",
    "values",
    "table",
    "show",
    "pragma",
    "set",
    "reset",
    "listen",
    "unlisten",
    "notify",
    "declare",
    "fetch",
    "move",
    "close",
    "deallocate",
    "prepare",
    "analyze",
    "analyse",
    "vacuum",
    "use",
    "lock",
    "unlock",
    "discard",
];

/// Statements an `EXPLAIN` may show.
const EXPLAINED: &[&str] = &[
    "select", "with", "values", "table", "insert", "update", "delete", "replace", "merge",
    "execute", "create", "declare",
];

pub(super) fn classify(s: &Stmt, out: &mut Vec<Statement>) {
    use Statement::*;
    let mut found = Found::default();
    if s.punct(0, b'(') {
        scan_writes(s, 0, &mut found);
        out.push(found.statement());
        return;
    }
    if s.kind(0) != Some(Kind::Word) {
        out.push(Unknown);
        return;
    }
    let head = s.text(0).to_ascii_lowercase();
    let statement = match head.as_str() {
        "begin" if begin_is_transaction(s) => Begin,
        "start" if s.kw(1, "transaction") => Begin,
        "commit" | "end" => return end_transaction(s, Commit, out),
        "rollback" | "abort" => return end_transaction(s, Rollback, out),
        "savepoint" if s.len() == 2 => s.savepoint_name(1).map_or(Unknown, Savepoint),
        "release" => {
            let i = if s.kw(1, "savepoint") { 2 } else { 1 };
            match s.savepoint_name(i) {
                Some(name) if s.len() == i + 1 => Release(name),
                _ => Unknown,
            }
        }
        "prepare" if s.kw(1, "transaction") => Commit,
        "xa" => xa(s),
        // MariaDB: SET STATEMENT var = value [, ..] FOR <statement>.
        "set" if s.kw(1, "statement") => match (2..s.len()).find(|&i| s.kw(i, "for")) {
            Some(i) => {
                let inner = Stmt {
                    sql: s.sql,
                    t: &s.t[i + 1..],
                };
                return classify(&inner, out);
            }
            None => Unknown,
        },
        "insert" | "replace" | "update" | "delete" | "merge" => {
            if !write_at(s, 0, &mut found) || found.tables.is_empty() {
                Unknown
            } else {
                scan_writes(s, 1, &mut found);
                found.statement()
            }
        }
        // CASCADE empties the tables whose foreign keys point here: unknown.
        "truncate" if (1..s.len()).any(|i| s.kw(i, "cascade")) => Unknown,
        "truncate" => {
            let i = if s.kw(1, "table") { 2 } else { 1 };
            s.name_list(i, &mut found.tables);
            found.statement().written_or_unknown()
        }
        "alter" if s.kw(1, "table") => {
            let mut i = 2;
            if s.kw(i, "if") && s.kw(i + 1, "exists") {
                i += 2;
            }
            if s.kw(i, "only") {
                i += 1;
            }
            if let Some((name, _)) = s.name(i) {
                found.push(name);
            }
            for j in i..s.len() {
                if s.kw(j, "rename") {
                    let k = if s.kw(j + 1, "to") || s.kw(j + 1, "as") {
                        j + 2
                    } else {
                        j + 1
                    };
                    if let Some((name, _)) = s.name(k) {
                        found.push(name);
                    }
                }
            }
            found.statement().written_or_unknown()
        }
        "drop" => {
            let mut i = 1;
            if s.kw(i, "temporary") {
                i += 1;
            }
            if s.kw(i, "table") {
                i += 1;
                if s.kw(i, "if") && s.kw(i + 1, "exists") {
                    i += 2;
                }
                s.name_list(i, &mut found.tables);
                found.statement().written_or_unknown()
            } else {
                Unknown
            }
        }
        "create" => create(s, &mut found),
        "copy" => copy(s, &mut found),
        "load" if s.kw_in(1, &["data", "xml"]) => {
            match (2..s.len()).find(|&i| s.kw(i, "into") && s.kw(i + 1, "table")) {
                Some(i) => match s.name(i + 2) {
                    Some((name, _)) => Writes(vec![name]),
                    None => Unknown,
                },
                None => Unknown,
            }
        }
        "explain" | "describe" | "desc" => explain(s),
        // MariaDB's `ANALYZE [FORMAT = ..] <statement>` runs the statement.
        "analyze" | "analyse" if analyzes_a_statement(s) => explain(s),
        "grant" | "revoke" => Read,
        h if READS.contains(&h) => {
            scan_writes(s, 0, &mut found);
            match found.statement() {
                Read if h == "set" => session(s),
                other => other,
            }
        }
        _ => Unknown,
    };
    out.push(statement);
}

/// MySQL's XA transactions: `XA START | BEGIN` opens one; `XA END` leaves
/// it the connection's (to prepare, commit in one phase or roll back);
/// `XA PREPARE` ends it as PostgreSQL's `PREPARE TRANSACTION` does
/// (committed as far as the tracker knows: its writes are invalidated then,
/// and the `XA COMMIT` that makes them visible, maybe from another
/// connection, is `Unknown`), as does `XA COMMIT .. ONE PHASE`, never
/// chained (`ImplicitCommit`); `XA ROLLBACK` rolls it back (never chained
/// either: `sql_tables::mysql_session::says_no_chain`); `XA RECOVER` reads.
fn xa(s: &Stmt) -> Statement {
    use Statement::*;
    let one_phase = s.len() >= 2 && s.kw(s.len() - 2, "one") && s.kw(s.len() - 1, "phase");
    if s.kw_in(1, &["start", "begin"]) {
        Begin
    } else if s.kw_in(1, &["end", "recover"]) {
        Read
    } else if s.kw(1, "prepare") || (s.kw(1, "commit") && one_phase) {
        ImplicitCommit
    } else if s.kw(1, "rollback") {
        Rollback
    } else {
        Unknown
    }
}

/// A `SET` that writes nothing: what it sets of MySQL's session modes
/// (`autocommit`, `completion_type`), in its place among the batch's
/// statements, or a read; unknown when the mode it sets cannot be told.
fn session(s: &Stmt) -> Statement {
    let (Some(first), Some(last)) = (s.t.first(), s.t.last()) else {
        return Statement::Read;
    };
    let text = s.sql.get(first.start..last.end).unwrap_or("");
    match crate::sql_tables::mysql_session::settings(text) {
        None => Statement::Unknown,
        Some(set) if set == crate::sql_tables::mysql_session::Settings::default() => {
            Statement::Read
        }
        Some(set) => Statement::Session(set),
    }
}

impl Statement {
    /// A statement that was meant to name tables but named none: unknown.
    fn written_or_unknown(self) -> Statement {
        match self {
            Statement::Read => Statement::Unknown,
            s => s,
        }
    }
}

/// `BEGIN [WORK | TRANSACTION] [modes]` or SQLite's `BEGIN DEFERRED |
/// IMMEDIATE | EXCLUSIVE [TRANSACTION [name]]`, and nothing else.
pub(super) fn begin_is_transaction(s: &Stmt) -> bool {
    let mut i = 1;
    if s.kw_in(i, &["deferred", "immediate", "exclusive"]) {
        i += 1;
        if s.kw(i, "transaction") {
            i += 1;
            if s.is_name(i) {
                i += 1;
            }
        }
        return i == s.len();
    }
    if s.kw_in(i, &["work", "transaction"]) {
        i += 1;
        // SQLite: BEGIN TRANSACTION name
        if s.len() == i + 1
            && s.is_name(i)
            && !s.kw_in(i, &["deferrable", "isolation", "read", "not"])
        {
            return true;
        }
    }
    // PostgreSQL's transaction modes, comma-separated or not.
    loop {
        if i == s.len() {
            return true;
        }
        if s.kw(i, "isolation") && s.kw(i + 1, "level") {
            i += 2;
            if s.kw(i, "serializable") {
                i += 1;
            } else if (s.kw(i, "repeatable") && s.kw(i + 1, "read"))
                || (s.kw(i, "read") && s.kw_in(i + 1, &["committed", "uncommitted"]))
            {
                i += 2;
            } else {
                return false;
            }
        } else if s.kw(i, "read") && s.kw_in(i + 1, &["write", "only"]) {
            i += 2;
        } else if s.kw(i, "deferrable") {
            i += 1;
        } else if s.kw(i, "not") && s.kw(i + 1, "deferrable") {
            i += 2;
        } else {
            return false;
        }
        if s.punct(i, b',') {
            i += 1;
        }
    }
}

/// `COMMIT`/`END`/`ROLLBACK`/`ABORT [WORK | TRANSACTION [name]]`, then `TO
/// [SAVEPOINT] name` (rollback), `AND [NO] CHAIN`, `[NO] RELEASE`.
fn end_transaction(s: &Stmt, end: Statement, out: &mut Vec<Statement>) {
    let rollback = end == Statement::Rollback;
    let mut i = 1;
    if s.kw_in(i, &["work", "transaction"]) {
        i += 1;
        // SQLite: COMMIT TRANSACTION name
        if s.is_name(i) && !s.kw_in(i, &["to", "and", "no", "release", "prepared"]) {
            i += 1;
        }
    }
    if rollback && s.kw(i, "to") {
        i += 1;
        if s.kw(i, "savepoint") {
            i += 1;
        }
        out.push(match s.savepoint_name(i) {
            Some(name) if s.len() == i + 1 => Statement::RollbackTo(name),
            _ => Statement::Unknown,
        });
        return;
    }
    let mut chain = false;
    if s.kw(i, "and") {
        if s.kw(i + 1, "no") && s.kw(i + 2, "chain") {
            i += 3;
        } else if s.kw(i + 1, "chain") {
            chain = true;
            i += 2;
        }
    }
    if s.kw(i, "no") && s.kw(i + 1, "release") {
        i += 2;
    } else if s.kw(i, "release") {
        i += 1;
    }
    if i != s.len() {
        // COMMIT PREPARED 'x', or something this does not know.
        out.push(Statement::Unknown);
        return;
    }
    out.push(end);
    if chain {
        out.push(Statement::Begin);
    }
}

fn create(s: &Stmt, found: &mut Found) -> Statement {
    let mut i = 1;
    if s.kw(i, "or") && s.kw(i + 1, "replace") {
        i += 2;
    }
    while s.kw_in(i, &["temp", "temporary", "unlogged", "global", "local"]) {
        i += 1;
    }
    if s.kw(i, "table") {
        i += 1;
        if s.kw(i, "if") && s.kw(i + 1, "not") && s.kw(i + 2, "exists") {
            i += 3;
        }
        let Some((name, next)) = s.name(i) else {
            return Statement::Unknown;
        };
        found.push(name);
        scan_writes(s, next, found);
        return std::mem::take(found).statement();
    }
    if s.kw(i, "unique") {
        i += 1;
    }
    if s.kw(i, "index") {
        return Statement::Read;
    }
    // MySQL: CREATE [ALGORITHM = x] [DEFINER = u] [SQL SECURITY x] VIEW
    loop {
        if s.kw(i, "recursive") {
            i += 1;
        } else if s.kw_in(i, &["algorithm", "definer"]) {
            i += 1;
            if s.punct(i, b'=') {
                i += 1;
            }
            i += 1;
            if s.punct(i, b'@') {
                i += 2;
            }
            if s.punct(i, b'(') && s.punct(i + 1, b')') {
                i += 2;
            }
        } else if s.kw(i, "sql") && s.kw(i + 1, "security") {
            i += 3;
        } else {
            break;
        }
    }
    if s.kw(i, "view") {
        scan_writes(s, i, found);
        return std::mem::take(found).statement();
    }
    Statement::Unknown
}

fn copy(s: &Stmt, found: &mut Found) -> Statement {
    if s.punct(1, b'(') {
        // COPY (query) TO ..: the query may be a write with RETURNING.
        scan_writes(s, 1, found);
        return std::mem::take(found).statement();
    }
    let i = if s.kw(1, "binary") { 2 } else { 1 };
    let Some((name, mut next)) = s.name(i) else {
        return Statement::Unknown;
    };
    if s.punct(next, b'(') {
        next = s.skip_parens(next);
    }
    if s.kw(next, "from") {
        Statement::Writes(vec![name])
    } else if s.kw(next, "to") {
        Statement::Read
    } else {
        Statement::Unknown
    }
}

/// `EXPLAIN [options] statement`: that statement's writes (whether it runs
/// or not); `DESCRIBE t` reads.
/// Whether `s` (an `ANALYZE`) is MariaDB's, which runs a statement and
/// shows its plan (`ANALYZE UPDATE t SET ..` updates), not the table
/// statistics' `ANALYZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE t` (MySQL) or
/// `ANALYZE [VERBOSE] [t]` (PostgreSQL, SQLite).
fn analyzes_a_statement(s: &Stmt) -> bool {
    !analyzes_tables(s)
        && (1..s.len()).any(|i| {
            s.kw_in(
                i,
                &[
                    "select", "with", "values", "insert", "update", "delete", "replace",
                ],
            )
        })
}

/// Whether `s` is MySQL's `ANALYZE [NO_WRITE_TO_BINLOG | LOCAL] TABLE ..`.
pub(super) fn analyzes_tables(s: &Stmt) -> bool {
    s.kw_in(0, &["analyze", "analyse"])
        && (s.kw(1, "table") || (s.kw_in(1, &["no_write_to_binlog", "local"]) && s.kw(2, "table")))
}

fn explain(s: &Stmt) -> Statement {
    let mut depth = 0usize;
    for i in 1..s.len() {
        if s.punct(i, b'(') {
            depth += 1;
        } else if s.punct(i, b')') {
            depth = depth.saturating_sub(1);
        } else if depth == 0 && s.kw_in(i, EXPLAINED) {
            let inner = Stmt {
                sql: s.sql,
                t: &s.t[i..],
            };
            let mut out = Vec::new();
            classify(&inner, &mut out);
            return match out.as_slice() {
                [one @ (Statement::Read | Statement::Writes(_) | Statement::Unknown)] => {
                    one.clone()
                }
                _ => Statement::Unknown,
            };
        }
    }
    let mut found = Found::default();
    scan_writes(s, 1, &mut found);
    found.statement()
}

#[cfg(test)]
mod tests;
