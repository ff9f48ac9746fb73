//! Splitting a text into statements on top-level `;` (a block's body keeps
//! its own), and merging what two dialects made of the same text.

use super::Statement;
use super::classify::{analyzes_tables, begin_is_transaction, classify};
use super::lexer::{Base, Kind, Lexed, Lexer, Tok};
use super::statement::{Stmt, push_once};
use crate::sql_tables::mysql_session::Settings;

/// Whether a statement whose `;` is being read may be a block whose body
/// holds `;` (`CREATE FUNCTION .. BEGIN ATOMIC ..; END`, `CREATE PROCEDURE
/// .. BEGIN ..; END`, `CREATE TRIGGER`, MariaDB's `BEGIN NOT ATOMIC`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    Undecided,
    No,
    /// Inside a block: depth of `BEGIN`/`CASE` not yet closed by `END`; the
    /// flag is an `END` waiting for the next token (`END IF` closes no
    /// `BEGIN`).
    Depth(usize, bool),
}

const END_NOT_BLOCK: &[&str] = &["if", "loop", "while", "repeat", "for"];

impl Block {
    /// Accounts for one token of a block statement.
    fn step(&mut self, s: &Stmt, i: usize) {
        let Block::Depth(depth, pending_end) = self else {
            return;
        };
        if *pending_end {
            *pending_end = false;
            if !s.kw_in(i, END_NOT_BLOCK) {
                *depth = depth.saturating_sub(1);
            }
            if s.kw(i, "case") {
                // END CASE closes a CASE statement; it opens nothing
                return;
            }
        }
        if s.kw_in(i, &["begin", "case"]) {
            *depth += 1;
        } else if s.kw(i, "end") {
            *pending_end = true;
        }
    }

    fn open(&self) -> bool {
        match *self {
            Block::Depth(depth, pending_end) => depth > usize::from(pending_end),
            _ => false,
        }
    }
}

/// Whether the statement in `s` (its tokens so far) is one whose body may
/// hold `;`.
fn is_block_statement(s: &Stmt) -> bool {
    if s.kw(0, "begin") {
        return !begin_is_transaction(s);
    }
    if !s.kw(0, "create") {
        return false;
    }
    const SKIP: &[&str] = &[
        "or",
        "replace",
        "definer",
        "aggregate",
        "constraint",
        "temp",
        "temporary",
        "if",
        "not",
        "exists",
        "sql",
        "security",
        "invoker",
        "current_user",
    ];
    let mut i = 1;
    while i < s.t.len() {
        if s.kw_in(i, &["function", "procedure", "trigger", "event"]) {
            return true;
        } else if s.kw_in(i, SKIP) {
            i += 1;
        } else if s.punct(i, b'=') || s.punct(i, b'@') || (s.punct(i, b'(') && s.punct(i + 1, b')'))
        {
            // `= value`, `@ host`, `()`
            i += 2;
        } else {
            return false;
        }
    }
    false
}

pub(super) fn analyze_base(sql: &str, base: Base) -> Vec<Statement> {
    analyze_lexed(sql, Lexer::new(sql, base), base)
}

/// [`analyze_base`] of PostgreSQL text under `standard_conforming_strings
/// = off` (a backslash escapes in every `'..'` string).
pub(super) fn analyze_postgres_escaping_strings(sql: &str) -> Vec<Statement> {
    let base = Base::Postgres;
    analyze_lexed(sql, Lexer::new(sql, base).escaping_strings(), base)
}

/// The statements `lexer` (over `sql`, by `base`'s rules) finds.
fn analyze_lexed(sql: &str, mut lexer: Lexer<'_>, base: Base) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut toks: Vec<Tok> = Vec::with_capacity(64);
    let mut parens = 0usize;
    let mut unbalanced = false;
    let mut block = Block::Undecided;
    loop {
        let tok = match lexer.next() {
            Lexed::Tok(t) => t,
            Lexed::End => {
                finish(sql, &toks, parens > 0 || unbalanced, base, &mut out);
                return out;
            }
            Lexed::Unterminated => {
                out.push(Statement::Unknown);
                return out;
            }
        };
        match tok.kind {
            Kind::Punct(b';') if parens == 0 => {
                let s = Stmt { sql, t: &toks };
                if block == Block::Undecided {
                    block = if is_block_statement(&s) {
                        let mut b = Block::Depth(0, false);
                        for i in 0..toks.len() {
                            b.step(&s, i);
                        }
                        b
                    } else {
                        Block::No
                    };
                }
                if !block.open() {
                    finish(sql, &toks, unbalanced, base, &mut out);
                    toks.clear();
                    unbalanced = false;
                    block = Block::Undecided;
                    continue;
                }
            }
            Kind::Punct(b'(') => parens += 1,
            Kind::Punct(b')') => match parens.checked_sub(1) {
                Some(p) => parens = p,
                None => unbalanced = true,
            },
            _ => {}
        }
        toks.push(tok);
        if let Block::Depth(..) = block {
            let s = Stmt { sql, t: &toks };
            block.step(&s, toks.len() - 1);
        }
    }
}

fn finish(sql: &str, toks: &[Tok], unbalanced: bool, base: Base, out: &mut Vec<Statement>) {
    if toks.is_empty() {
        return;
    }
    if unbalanced {
        out.push(Statement::Unknown);
        return;
    }
    let s = Stmt { sql, t: toks };
    let from = out.len();
    classify_statement(&s, base, out);
    if base != Base::Postgres {
        for statement in &mut out[from..] {
            fold_savepoint_name(statement, base);
        }
    }
    if toks.iter().any(|t| t.gated) {
        // Whether the server runs it depends on its version: a read or a
        // write (invalidated whether it ran or not) stays what it is;
        // anything the tracker would act on is unknown.
        for statement in &mut out[from..] {
            if !matches!(statement, Statement::Read | Statement::Writes(_)) {
                *statement = Statement::Unknown;
            }
        }
    }
}

/// A savepoint's name as SQLite or MySQL compares it ([`Stmt::savepoint_name`]
/// reads it as PostgreSQL does): SQLite ignores ASCII case, in quoted
/// names too; MySQL and MariaDB compare in their system collation, which
/// ignores case, accents and trailing spaces, and which the tracker
/// follows for plain ASCII names only: any other is unknown.
fn fold_savepoint_name(statement: &mut Statement, base: Base) {
    let (Statement::Savepoint(name) | Statement::Release(name) | Statement::RollbackTo(name)) =
        statement
    else {
        return;
    };
    if base == Base::Mysql && (!name.is_ascii() || name.ends_with(' ')) {
        *statement = Statement::Unknown;
    } else {
        name.make_ascii_lowercase();
    }
}

/// What one statement does, with MySQL's implicit commits around it.
fn classify_statement(s: &Stmt, base: Base, out: &mut Vec<Statement>) {
    let mysql = base == Base::Mysql;
    let commits = mysql && implicitly_commits(s);
    if commits {
        out.push(Statement::ImplicitCommit);
    }
    match table_locks(s) {
        Some(locked) if mysql => out.push(Statement::Session(Settings {
            tables_locked: Some(locked),
            ..Settings::default()
        })),
        _ => classify(s, out),
    }
    if commits {
        out.push(Statement::ImplicitCommit);
    }
}

/// `Some(true)` for MySQL's `LOCK TABLE[S]`, `Some(false)` for `UNLOCK
/// TABLE[S]`: the session's table locks, which decide whether `UNLOCK
/// TABLES` commits (it does when `LOCK TABLES` took locks, and only then).
fn table_locks(s: &Stmt) -> Option<bool> {
    let tables = s.kw_in(1, &["table", "tables"]);
    if tables && s.kw(0, "lock") {
        Some(true)
    } else if tables && s.kw(0, "unlock") {
        Some(false)
    } else {
        None
    }
}

/// Whether MySQL ends the open transaction before this statement (and,
/// for DDL, commits again after it), as if by a `COMMIT`: DDL but on
/// temporary tables, `TRUNCATE`, `RENAME`, account statements, `LOCK
/// TABLES` and the administrative ones (MySQL's "Statements That Cause an
/// Implicit Commit"; `BEGIN` and `SET autocommit = 1` are followed
/// elsewhere). `UNLOCK TABLES` commits only while `LOCK TABLES` holds
/// locks, which the tracker follows ([`table_locks`]).
fn implicitly_commits(s: &Stmt) -> bool {
    let temporary = (1..4).any(|i| s.kw(i, "temporary"));
    (s.kw_in(0, &["create", "drop"]) && !temporary)
        || s.kw_in(
            0,
            &[
                "alter", "rename", "truncate", "grant", "revoke", "optimize", "repair", "flush",
                "cache",
            ],
        )
        || analyzes_tables(s)
        || (s.kw(0, "check") && s.kw(1, "table"))
        || (s.kw(0, "lock") && s.kw_in(1, &["table", "tables"]))
        || (s.kw(0, "load") && s.kw(1, "index"))
        || (s.kw(0, "reset") && !s.kw(1, "persist"))
        || (s.kw(0, "set") && s.kw(1, "password"))
}

/// Merges what two dialects made of the same text: where they agree, that;
/// where one reads and the other writes, the writes; anything else, or
/// lists of different lengths past their common beginning, `Unknown`.
pub(super) fn merge(a: Vec<Statement>, b: Vec<Statement>) -> Vec<Statement> {
    use Statement::{Read, Unknown, Writes};
    if a.len() != b.len() {
        let mut out: Vec<Statement> = a
            .into_iter()
            .zip(b)
            .take_while(|(x, y)| x == y)
            .map(|(x, _)| x)
            .collect();
        out.push(Unknown);
        return out;
    }
    a.into_iter()
        .zip(b)
        .map(|(x, y)| match (x, y) {
            (x, y) if x == y => x,
            (Read, Writes(w)) | (Writes(w), Read) => Writes(w),
            (Writes(mut w), Writes(v)) => {
                for t in v {
                    push_once(&mut w, t);
                }
                Writes(w)
            }
            _ => Unknown,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Dialect::{Any, Mysql, Postgres, Sqlite};
    use super::super::Statement::*;
    use super::super::analyze;
    use super::super::tests::{ALL, check, w};

    #[test]
    fn any_merges_conservatively() {
        // agree: the answer
        check(
            &[Any],
            "BEGIN; UPDATE t SET x = 1; COMMIT",
            &[Begin, w(&["t"]), Commit],
        );
        // a backslash that only MySQL reads as an escape
        assert_eq!(analyze(r"SELECT 'a\'; UPDATE t SET x = 1", Any), [Unknown]);
        // `#` comments only on MySQL
        assert_eq!(
            analyze("SELECT 1 # x\n; DELETE FROM u", Any),
            [Read, w(&["u"])]
        );
        let sql = "SELECT a #>> '{b}' FROM t; DELETE FROM u";
        assert_eq!(analyze(sql, Postgres), [Read, w(&["u"])]);
        assert!(
            analyze(sql, Any).contains(&Unknown),
            "{:?}",
            analyze(sql, Any)
        );
        // a nested comment only PostgreSQL reads as nested
        let sql = "/* /* */ DELETE FROM u */ SELECT 1";
        assert_eq!(analyze(sql, Postgres), [Read]);
        assert_eq!(analyze(sql, Sqlite), [w(&["u"])]);
        assert_eq!(analyze(sql, Any), [w(&["u"])]);
        let sql = "/* /* */ DELETE FROM u -- */";
        assert_eq!(analyze(sql, Sqlite), [w(&["u"])]);
        assert_eq!(analyze(sql, Any), [Unknown]);
        // executable comments only on MySQL
        assert_eq!(
            analyze("SELECT 1 /*!, (DELETE FROM u) */", Any),
            [w(&["u"])]
        );
    }

    #[test]
    fn blocks_keep_their_semicolons() {
        let sql = "CREATE PROCEDURE p() BEGIN UPDATE t SET a = 1; IF x THEN SELECT 1; END IF; \
                   SELECT CASE WHEN a THEN 1 END; END; COMMIT";
        check(&[Mysql], sql, &[Unknown, Commit]);
        let sql = "CREATE DEFINER = `root`@`%` TRIGGER tr BEFORE INSERT ON t FOR EACH ROW \
                   BEGIN DELETE FROM u; END; SELECT 1";
        check(&[Mysql], sql, &[Unknown, Read]);
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; END";
        check(&[Postgres], sql, &[Unknown, Commit]);
        let sql = "CREATE PROCEDURE p() BEGIN CASE x WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE; \
                   WHILE y DO SET y = 0; END WHILE; lbl: LOOP LEAVE lbl; END LOOP lbl; END; COMMIT";
        check(&[Mysql], sql, &[Unknown, Commit]);
        let sql = "BEGIN NOT ATOMIC DELETE FROM t; END; ROLLBACK";
        check(&[Mysql], sql, &[Unknown, Rollback]);
        // a plain statement with a column named `begin` is no block
        check(ALL, "SELECT begin FROM t; COMMIT", &[Read, Commit]);
        // `;` inside parentheses does not split
        check(
            &[Postgres],
            "CREATE RULE r AS ON INSERT TO t DO INSTEAD (DELETE FROM u; UPDATE v SET a = 1); COMMIT",
            &[Unknown, Commit],
        );
    }
}
