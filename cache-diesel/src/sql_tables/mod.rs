//! What a SQL statement does to the cache, read from its text.
//!
//! A tracked connection hands every statement it runs to [`analyze`], which
//! splits it on top-level `;` and tells, for each statement, whether it only
//! reads ([`Statement::Read`]), which tables it writes
//! ([`Statement::Writes`]), whether it opens or ends a transaction or a
//! savepoint, or that it cannot tell ([`Statement::Unknown`]: the tracker
//! then invalidates every managed table). It never guesses "read": a
//! statement it does not know, or whose text it cannot lex to the end
//! (unterminated string, quoted identifier or comment, unbalanced
//! parentheses), is `Unknown`.
//!
//! # How
//!
//! One pass of a lexer over the bytes follows the lexical rules of the
//! [`Dialect`] (strings and their escapes, dollar quotes, quoted identifiers,
//! nested or executable comments) and yields tokens that borrow the text; no
//! allocation per character. Each statement's tokens are then classified by
//! its first keyword, and scanned as a whole for writes anywhere in it
//! (data-modifying CTEs, `EXPLAIN ANALYZE`, `SELECT .. INTO t`, ...).
//! [`Dialect::Any`] runs the three lexers and merges their answers so that
//! none of them under-reports. Measured in a release build on a shared
//! 2-core machine: about 60 µs for a 10 KB statement (40 of them lexing),
//! about 1 µs for a typical 100-byte statement Diesel renders; `Any` costs
//! three times that.
//!
//! # What is classified how
//!
//! - Transaction control: `BEGIN [WORK | TRANSACTION] [modes]`,
//!   `BEGIN DEFERRED | IMMEDIATE | EXCLUSIVE [TRANSACTION]`,
//!   `START TRANSACTION [..]` → [`Statement::Begin`]; `COMMIT | END [WORK |
//!   TRANSACTION] [AND NO CHAIN] [[NO] RELEASE]` → `Commit`; `ROLLBACK |
//!   ABORT [WORK | TRANSACTION]` → `Rollback`; `.. AND CHAIN` adds a `Begin`
//!   after the `Commit` or `Rollback`; `SAVEPOINT n`, `RELEASE [SAVEPOINT]
//!   n`, `ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] n`. PostgreSQL's
//!   `PREPARE TRANSACTION 'id'` is a `Commit` (the transaction leaves the
//!   connection; its writes become visible only at `COMMIT PREPARED`, which
//!   is `Unknown`, as is `ROLLBACK PREPARED`). A `BEGIN` that opens a block
//!   rather than a transaction (MariaDB's `BEGIN NOT ATOMIC .. END`) is
//!   `Unknown`, and so is the whole block.
//! - Writes: `INSERT [OR x] [INTO] t`, `REPLACE [INTO] t`, `UPDATE [OR x]
//!   [ONLY] t` (MySQL's multi-table `UPDATE t1, t2 ..` and `UPDATE t1 JOIN
//!   t2 .. SET`: every table named before `SET`), `DELETE FROM [ONLY] t`
//!   (MySQL's `DELETE t1 FROM ..` and `DELETE FROM t1, t2 USING ..`: the
//!   targets, aliases resolved, or every table of the clause when a target
//!   is not found there), `MERGE INTO t`, `TRUNCATE [TABLE] a, b`, `ALTER
//!   TABLE t` (and the new name of `RENAME TO`), `DROP TABLE [IF EXISTS] a,
//!   b`, `COPY t FROM ..`, `LOAD DATA | XML .. INTO TABLE t`, `SELECT .. INTO
//!   t`, `CREATE TABLE t ..`: anywhere in a statement for the first five
//!   and `INTO` (CTEs, `EXPLAIN`, `PREPARE p AS ..`).
//! - Not writes: `FOR [NO KEY] UPDATE`, `ON CONFLICT .. DO UPDATE`, `ON
//!   DUPLICATE KEY UPDATE`, `ON UPDATE | DELETE ..` of a foreign key or a
//!   column, `LOCK IN SHARE MODE`, `MERGE`'s `THEN UPDATE | DELETE |
//!   INSERT`, MySQL's `INSERT(..)` and `REPLACE(..)` string functions,
//!   `INTO OUTFILE | DUMPFILE | @var`, `VACUUM INTO 'file'`.
//! - Read when no write is found inside: `SELECT`, `WITH`, `VALUES`,
//!   `TABLE`, a parenthesised query, `SHOW`, `EXPLAIN | DESCRIBE | DESC`
//!   (of a write: that write's tables, `ANALYZE` or not), `PRAGMA`, `SET`,
//!   `RESET`, `LISTEN`, `UNLISTEN`, `NOTIFY`, `DECLARE`, `FETCH`, `MOVE`,
//!   `CLOSE`, `DEALLOCATE`, `PREPARE` (it runs nothing: the `EXECUTE` that
//!   follows is `Unknown`), `ANALYZE`, `VACUUM`, `USE`, `LOCK`, `UNLOCK`,
//!   `DISCARD`, `CREATE [UNIQUE] INDEX`, `CREATE VIEW` (a view is a query:
//!   writes through it are caught where they run, or are `Unknown`),
//!   `GRANT`, `REVOKE`, `COPY t TO ..`, `COPY (query) TO ..`.
//! - Unknown: `CALL`, `DO`, `EXECUTE`, `COMMIT | ROLLBACK PREPARED`, any
//!   other `CREATE`, `ALTER` or `DROP`, any statement not listed above, and
//!   any statement the lexer cannot finish.
//!
//! Names are the last part of a qualified name, unquoted, lower-cased:
//! `"s"."T"`, `` `db`.`t` `` and `s.t` all give `t`. Savepoint names keep a
//! quoted name verbatim and lower-case an unquoted one.
//!
//! Known limits: PostgreSQL is lexed with `standard_conforming_strings`
//! on (its default) and MySQL with backslash escapes on (no
//! `NO_BACKSLASH_ESCAPES`) and every `/*! .. */` and `/*M! .. */` comment
//! executed; under another setting a string usually ends up unterminated,
//! hence `Unknown`. MySQL's implicit commits (DDL, `LOCK TABLES`, a `BEGIN`
//! inside a transaction) are not reported as `Commit`, and MySQL's `SET
//! autocommit = 0` (after which every statement opens a transaction that
//! only `COMMIT` or `ROLLBACK` ends) is a plain `Read` (the tracker reads
//! such session settings itself: see `mysql_session`). An `Unknown` that
//! ends the list because the text could not be lexed to its end may hide
//! transaction control as well as writes. What no SQL text
//! shows (triggers, functions that write, other programs) is not seen:
//! [`function_calls`] lists the functions a statement calls.

/// Which database's lexical rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: `'..'` with `''`, `E'..'` with backslash escapes,
    /// `$tag$..$tag$`, `"ident"`, `--` and nesting `/* */` comments.
    Postgres,
    /// SQLite: `'..'` with `''`, `"ident"`, `` `ident` ``, `[ident]`, `--`
    /// and `/* */` comments (not nested; an unterminated one ends the text).
    Sqlite,
    /// MySQL and MariaDB: `'..'` and `".."` with backslash escapes and
    /// doubled quotes, `` `ident` ``, `#` and `-- ` comments, `/* */` not
    /// nested, `/*! .. */` and `/*M! .. */` executed.
    Mysql,
    /// Rules unknown: must be safe under all three. The text is analyzed
    /// under each and the answers merged; where they disagree the result
    /// says more is written, or `Unknown`.
    Any,
}

/// What one statement does, as far as the cache is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// Reads only.
    Read,
    /// Writes these tables (last part of the name, unquoted, lower case; in
    /// order, once each).
    Writes(Vec<String>),
    /// May write anything: the tracker invalidates every managed table.
    Unknown,
    /// Opens a transaction (`BEGIN`, `START TRANSACTION`).
    Begin,
    /// Ends the transaction, committing it (`COMMIT`, `END`; also
    /// PostgreSQL's `PREPARE TRANSACTION`).
    Commit,
    /// Ends the transaction, rolling it back (`ROLLBACK`, `ABORT`).
    Rollback,
    /// `SAVEPOINT name`.
    Savepoint(String),
    /// `RELEASE [SAVEPOINT] name`.
    Release(String),
    /// `ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT] name`.
    RollbackTo(String),
}

/// The statements of `sql` (split on top-level `;`), in order; empty ones
/// (only whitespace/comments) are left out.
///
/// A statement the lexer cannot finish (an unterminated string, quoted
/// identifier or comment) is [`Statement::Unknown`] and takes the rest of
/// the text with it.
pub fn analyze(sql: &str, dialect: Dialect) -> Vec<Statement> {
    match dialect {
        Dialect::Any => {
            let mut merged = analyze_base(sql, Base::Postgres);
            for base in [Base::Sqlite, Base::Mysql] {
                merged = merge(merged, analyze_base(sql, base));
            }
            merged
        }
        d => analyze_base(sql, Base::of(d)),
    }
}

/// Names of functions called in `sql`: an identifier (possibly qualified:
/// its last part; lower case) followed by `(` in code, not in strings or
/// comments; once each, in order. A few keywords that take parentheses
/// (`IN`, `VALUES`, `EXISTS`, ..) and the names after `INTO`, `TABLE`,
/// `REFERENCES`, `PREPARE` and `EXECUTE` are left out; type names such as
/// `varchar(10)` are not. Under [`Dialect::Any`], what any of the three
/// dialects reads as a call.
pub fn function_calls(sql: &str, dialect: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for base in bases(dialect) {
        calls_base(sql, base, &mut out);
    }
    out
}

/// The lexing rules a dialect stands for: its own, or under
/// [`Dialect::Any`] each of the three.
fn bases(dialect: Dialect) -> Vec<Base> {
    match dialect {
        Dialect::Any => vec![Base::Postgres, Base::Sqlite, Base::Mysql],
        d => vec![Base::of(d)],
    }
}

/// Every token of `sql` under `base`'s rules.
fn tokens(sql: &str, base: Base) -> Vec<Tok> {
    let mut lexer = Lexer::new(sql, base);
    let mut toks: Vec<Tok> = Vec::with_capacity(64);
    while let Lexed::Tok(t) = lexer.next() {
        toks.push(t);
    }
    toks
}

/// The tables `sql` reads or writes by name: every table reference after a
/// `FROM` or a `JOIN`, at any depth (subqueries included), as the last part
/// of its name, lower case; once each, in order. Under [`Dialect::Any`],
/// what any of the three dialects reads. A cached query's entries depend on
/// these tables (a subquery on another table is a dependency too).
pub fn tables_named(sql: &str, dialect: Dialect) -> Vec<String> {
    let mut out = Vec::new();
    for base in bases(dialect) {
        named_base(sql, base, &mut out);
    }
    out
}

fn named_base(sql: &str, base: Base, out: &mut Vec<String>) {
    const STOP: &[&str] = &[
        "where",
        "group",
        "order",
        "limit",
        "having",
        "union",
        "except",
        "intersect",
        "window",
        "returning",
        "for",
        "offset",
        "fetch",
        "on",
        "using",
        "set",
        "values",
        "select",
    ];
    let toks = tokens(sql, base);
    let s = Stmt { sql, t: &toks };
    for i in 0..s.len() {
        if s.kw(i, "from") || s.kw(i, "join") {
            for r in table_refs(&s, i + 1, STOP) {
                push_once(out, r.table);
            }
        }
    }
}

/// The tables written by the statements of `sql` as any of the three
/// dialects reads it (every [`Statement::Writes`] of each), for the tests'
/// tables of cases. It says nothing of [`Statement::Unknown`] nor of
/// transactions: the tracker uses [`analyze`].
#[cfg(test)]
fn written_tables(sql: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for base in [Base::Postgres, Base::Sqlite, Base::Mysql] {
        for statement in analyze_base(sql, base) {
            if let Statement::Writes(tables) = statement {
                for t in tables {
                    push_once(&mut out, t);
                }
            }
        }
    }
    out
}

/// A table's SQL name from its rendering (`"s"."t"`, `` `t` ``, `t`): the
/// last part, unquoted, lower-cased, as [`analyze`] reports it.
pub fn sql_name(rendered: &str) -> String {
    let mut lexer = Lexer::new(rendered, Base::Sqlite);
    let mut toks = Vec::new();
    while let Lexed::Tok(t) = lexer.next() {
        toks.push(t);
    }
    let s = Stmt {
        sql: rendered,
        t: &toks,
    };
    s.name(0)
        .map_or_else(|| rendered.to_lowercase(), |(name, _)| name)
}

// ---------------------------------------------------------------------------
// Lexer

/// A concrete dialect (what [`Dialect::Any`] is made of).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Postgres,
    Sqlite,
    Mysql,
}

impl Base {
    fn of(d: Dialect) -> Base {
        match d {
            Dialect::Postgres => Base::Postgres,
            Dialect::Sqlite => Base::Sqlite,
            Dialect::Mysql | Dialect::Any => Base::Mysql,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An unquoted identifier or keyword.
    Word,
    /// A quoted identifier (MySQL: also a `".."` string); the byte is the
    /// closing quote, the span is the text between the quotes.
    Quoted(u8),
    /// A string literal (any kind).
    Str,
    Num,
    /// A parameter (`$1`, `?`, `?1`, SQLite's `$name`).
    Param,
    Punct(u8),
}

#[derive(Debug, Clone, Copy)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

enum Lexed {
    Tok(Tok),
    End,
    /// A string, quoted identifier or comment that the text does not close.
    Unterminated,
}

struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
    base: Base,
    /// Inside a MySQL `/*! .. */`, whose content is code.
    executable: bool,
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

impl<'a> Lexer<'a> {
    fn new(sql: &'a str, base: Base) -> Self {
        Lexer {
            b: sql.as_bytes(),
            pos: 0,
            base,
            executable: false,
        }
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn tok(&mut self, kind: Kind, start: usize, end: usize, next: usize) -> Lexed {
        self.pos = next;
        Lexed::Tok(Tok { kind, start, end })
    }

    /// The index of the quote closing a body that starts at `from`: `qq`
    /// stands for `q`, and with `backslash` a `\` escapes the next byte.
    fn close(&self, from: usize, q: u8, backslash: bool) -> Option<usize> {
        let mut i = from;
        loop {
            let rest = self.b.get(i..)?;
            i += rest
                .iter()
                .position(|&c| c == q || (backslash && c == b'\\'))?;
            // a backslash escape, or a doubled quote
            if self.b[i] != q || (self.at(i + 1) == q && q != b']') {
                i += 2;
            } else {
                return Some(i);
            }
        }
    }

    /// A quoted token whose opening quote is at `open - 1`.
    fn quoted(&mut self, kind: Kind, open: usize, q: u8, backslash: bool) -> Lexed {
        match self.close(open, q, backslash) {
            Some(end) => self.tok(kind, open, end, end + 1),
            None => Lexed::Unterminated,
        }
    }

    /// Skips a line comment starting at `self.pos`.
    fn line_comment(&mut self) {
        let pg = self.base == Base::Postgres;
        let rest = &self.b[self.pos..];
        self.pos += rest
            .iter()
            .position(|&c| c == b'\n' || (pg && c == b'\r'))
            .unwrap_or(rest.len());
    }

    /// Skips a block comment whose `/*` is at `self.pos`; false if the
    /// dialect requires it closed and it is not.
    fn block_comment(&mut self) -> bool {
        let b = self.b;
        let mut i = self.pos + 2;
        if self.base == Base::Postgres {
            let mut depth = 1usize;
            while i < b.len() {
                if b[i] == b'/' && self.at(i + 1) == b'*' {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && self.at(i + 1) == b'/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        self.pos = i;
                        return true;
                    }
                } else {
                    i += 1;
                }
            }
        } else {
            while i < b.len() {
                if b[i] == b'*' && self.at(i + 1) == b'/' {
                    self.pos = i + 2;
                    return true;
                }
                i += 1;
            }
        }
        self.pos = b.len();
        // SQLite ends an unterminated comment at the end of the text.
        self.base == Base::Sqlite
    }

    /// A PostgreSQL `$tag$` opening at `self.pos`: the index after it.
    fn dollar_tag(&self) -> Option<usize> {
        let mut i = self.pos + 1;
        if self.at(i) != b'$' {
            if !ident_start(self.at(i)) {
                return None;
            }
            while ident_char(self.at(i)) && self.at(i) != b'$' {
                i += 1;
            }
            if self.at(i) != b'$' {
                return None;
            }
        }
        Some(i + 1)
    }

    fn next(&mut self) -> Lexed {
        loop {
            let start = self.pos;
            let Some(&c) = self.b.get(start) else {
                return if self.executable {
                    Lexed::Unterminated
                } else {
                    Lexed::End
                };
            };
            let c1 = self.at(start + 1);
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => self.pos += 1,
                b'-' if c1 == b'-'
                    && (self.base != Base::Mysql || {
                        let c2 = self.at(start + 2);
                        c2 <= b' ' || c2 == 0x7f
                    }) =>
                {
                    self.line_comment()
                }
                b'#' if self.base == Base::Mysql => self.line_comment(),
                b'/' if c1 == b'*' => {
                    let c2 = self.at(start + 2);
                    let bang = if c2 == b'!' {
                        Some(3)
                    } else if c2 == b'M' && self.at(start + 3) == b'!' {
                        Some(4)
                    } else {
                        None
                    };
                    match bang {
                        Some(n) if self.base == Base::Mysql && !self.executable => {
                            // /*!50001 .. */ and /*M!100101 .. */: code.
                            let mut i = start + n;
                            while self.at(i).is_ascii_digit() {
                                i += 1;
                            }
                            self.pos = i;
                            self.executable = true;
                        }
                        _ => {
                            if !self.block_comment() {
                                return Lexed::Unterminated;
                            }
                        }
                    }
                }
                b'*' if c1 == b'/' && self.executable => {
                    self.pos += 2;
                    self.executable = false;
                }
                b'\'' => {
                    let backslash = self.base == Base::Mysql;
                    return self.quoted(Kind::Str, start + 1, b'\'', backslash);
                }
                b'"' => {
                    let backslash = self.base == Base::Mysql;
                    return self.quoted(Kind::Quoted(b'"'), start + 1, b'"', backslash);
                }
                b'`' if self.base != Base::Postgres => {
                    return self.quoted(Kind::Quoted(b'`'), start + 1, b'`', false);
                }
                b'[' if self.base == Base::Sqlite => {
                    return self.quoted(Kind::Quoted(b']'), start + 1, b']', false);
                }
                b'$' if self.base == Base::Postgres => {
                    if c1.is_ascii_digit() {
                        let mut i = start + 1;
                        while self.at(i).is_ascii_digit() {
                            i += 1;
                        }
                        return self.tok(Kind::Param, start, i, i);
                    }
                    let Some(body) = self.dollar_tag() else {
                        return self.tok(Kind::Punct(b'$'), start, start + 1, start + 1);
                    };
                    let tag = &self.b[start..body];
                    let mut i = body;
                    while i < self.b.len() {
                        if self.b[i] == b'$' && self.b[i..].starts_with(tag) {
                            return self.tok(Kind::Str, body, i, i + tag.len());
                        }
                        i += 1;
                    }
                    return Lexed::Unterminated;
                }
                b'$' if self.base == Base::Sqlite => {
                    let mut i = start + 1;
                    while ident_char(self.at(i)) {
                        i += 1;
                    }
                    return self.tok(Kind::Param, start, i, i);
                }
                b'?' => {
                    let mut i = start + 1;
                    while self.at(i).is_ascii_digit() {
                        i += 1;
                    }
                    return self.tok(Kind::Param, start, i, i);
                }
                b'0'..=b'9' => return self.number(start),
                b'.' if c1.is_ascii_digit() => return self.number(start),
                c if ident_start(c) || (c == b'$' && self.base == Base::Mysql) => {
                    return self.word(start);
                }
                c => return self.tok(Kind::Punct(c), start, start + 1, start + 1),
            }
        }
    }

    fn number(&mut self, start: usize) -> Lexed {
        let mut i = start;
        let mut digits_only = true;
        loop {
            let c = self.at(i);
            if c.is_ascii_digit() || c == b'.' {
                i += 1;
            } else if ident_char(c) {
                digits_only = false;
                i += 1;
            } else if (c == b'+' || c == b'-')
                && matches!(self.at(i - 1), b'e' | b'E')
                && self.at(i + 1).is_ascii_digit()
            {
                i += 1;
            } else {
                break;
            }
        }
        let text = &self.b[start..i];
        let numeric = digits_only
            || text.starts_with(b"0x")
            || text.starts_with(b"0X")
            || text.starts_with(b"0b")
            || text
                .iter()
                .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
        // MySQL allows identifiers that start with a digit (`1t`).
        let kind = if self.base == Base::Mysql && !numeric && !text.contains(&b'.') {
            Kind::Word
        } else {
            Kind::Num
        };
        self.tok(kind, start, i, i)
    }

    fn word(&mut self, start: usize) -> Lexed {
        let rest = &self.b[start + 1..];
        let i = start
            + 1
            + rest
                .iter()
                .position(|&c| !ident_char(c))
                .unwrap_or(rest.len());
        if self.base == Base::Postgres && i == start + 1 {
            match (self.b[start], self.at(i), self.at(i + 1)) {
                // E'..': backslash escapes.
                (b'e' | b'E', b'\'', _) => {
                    return self.quoted(Kind::Str, i + 1, b'\'', true);
                }
                // U&'..' and U&"..": as '..' and "..".
                (b'u' | b'U', b'&', b'\'') => {
                    return self.quoted(Kind::Str, i + 2, b'\'', false);
                }
                (b'u' | b'U', b'&', b'"') => {
                    return self.quoted(Kind::Quoted(b'"'), i + 2, b'"', false);
                }
                _ => {}
            }
        }
        self.tok(Kind::Word, start, i, i)
    }
}

// ---------------------------------------------------------------------------
// Splitting

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

fn analyze_base(sql: &str, base: Base) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut lexer = Lexer::new(sql, base);
    let mut toks: Vec<Tok> = Vec::with_capacity(64);
    let mut parens = 0usize;
    let mut unbalanced = false;
    let mut block = Block::Undecided;
    loop {
        let tok = match lexer.next() {
            Lexed::Tok(t) => t,
            Lexed::End => {
                finish(sql, &toks, parens > 0 || unbalanced, &mut out);
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
                    finish(sql, &toks, unbalanced, &mut out);
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

fn finish(sql: &str, toks: &[Tok], unbalanced: bool, out: &mut Vec<Statement>) {
    if toks.is_empty() {
        return;
    }
    if unbalanced {
        out.push(Statement::Unknown);
        return;
    }
    classify(&Stmt { sql, t: toks }, out);
}

/// Merges what two dialects made of the same text: where they agree, that;
/// where one reads and the other writes, the writes; anything else, or
/// lists of different lengths past their common beginning, `Unknown`.
fn merge(a: Vec<Statement>, b: Vec<Statement>) -> Vec<Statement> {
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

fn push_once(out: &mut Vec<String>, name: String) {
    if !out.contains(&name) {
        out.push(name);
    }
}

// ---------------------------------------------------------------------------
// Tokens of one statement

struct Stmt<'a> {
    sql: &'a str,
    t: &'a [Tok],
}

impl<'a> Stmt<'a> {
    fn len(&self) -> usize {
        self.t.len()
    }

    fn text(&self, i: usize) -> &'a str {
        self.t
            .get(i)
            .and_then(|t| self.sql.get(t.start..t.end))
            .unwrap_or("")
    }

    fn kind(&self, i: usize) -> Option<Kind> {
        self.t.get(i).map(|t| t.kind)
    }

    fn kw(&self, i: usize, w: &str) -> bool {
        self.kind(i) == Some(Kind::Word) && self.text(i).eq_ignore_ascii_case(w)
    }

    fn kw_in(&self, i: usize, ws: &[&str]) -> bool {
        self.kind(i) == Some(Kind::Word) && {
            let text = self.text(i);
            ws.iter().any(|w| text.eq_ignore_ascii_case(w))
        }
    }

    fn punct(&self, i: usize, c: u8) -> bool {
        self.kind(i) == Some(Kind::Punct(c))
    }

    fn is_name(&self, i: usize) -> bool {
        matches!(self.kind(i), Some(Kind::Word | Kind::Quoted(_)))
    }

    /// The text of a name token as written: a quoted one unescaped.
    fn verbatim(&self, i: usize) -> Option<String> {
        match self.kind(i)? {
            Kind::Word => Some(self.text(i).to_owned()),
            Kind::Quoted(q) if q != b']' => {
                let q = q as char;
                let mut doubled = String::with_capacity(2);
                doubled.push(q);
                doubled.push(q);
                Some(self.text(i).replace(&doubled, &q.to_string()))
            }
            Kind::Quoted(_) => Some(self.text(i).to_owned()),
            _ => None,
        }
    }

    /// A savepoint's name as the database folds it: a quoted one verbatim,
    /// an unquoted one with its ASCII letters lower-cased (PostgreSQL,
    /// SQLite and MySQL leave `É` alone); then, as PostgreSQL does, cut to
    /// 63 bytes (two names alike in their first 63 bytes are one savepoint
    /// there; elsewhere, treating them as one only over-invalidates).
    fn savepoint_name(&self, i: usize) -> Option<String> {
        let mut name = match self.kind(i)? {
            Kind::Word => Some(self.text(i).to_ascii_lowercase()),
            _ => self.verbatim(i),
        }?;
        if name.len() > 63 {
            let mut end = 63;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
        }
        Some(name)
    }

    /// A name as the cache knows it: unquoted, lower case.
    fn part(&self, i: usize) -> Option<String> {
        self.verbatim(i).map(|n| n.to_lowercase())
    }

    /// A possibly qualified name at `i` (and a following `.*`): its last
    /// part and the index after it.
    fn name(&self, mut i: usize) -> Option<(String, usize)> {
        if !self.is_name(i) {
            return None;
        }
        loop {
            if self.punct(i + 1, b'.') && self.is_name(i + 2) {
                i += 2;
                continue;
            }
            let name = self.part(i)?;
            let next = if self.punct(i + 1, b'.') && self.punct(i + 2, b'*') {
                i + 3
            } else {
                i + 1
            };
            return Some((name, next));
        }
    }

    /// The index after the parenthesised group opening at `i`.
    fn skip_parens(&self, mut i: usize) -> usize {
        let mut depth = 0usize;
        while i < self.len() {
            if self.punct(i, b'(') {
                depth += 1;
            } else if self.punct(i, b')') {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            i += 1;
        }
        i
    }

    /// A comma-separated list of names (each possibly `ONLY t` or `t *`).
    fn name_list(&self, mut i: usize, out: &mut Vec<String>) -> usize {
        loop {
            if self.kw(i, "only") {
                i += 1;
            }
            let Some((name, next)) = self.name(i) else {
                return i;
            };
            push_once(out, name);
            i = next;
            if self.punct(i, b'*') {
                i += 1;
            }
            if !self.punct(i, b',') {
                return i;
            }
            i += 1;
        }
    }
}

// ---------------------------------------------------------------------------
// Classification

/// What the scan for writes found in a statement.
#[derive(Default)]
struct Found {
    tables: Vec<String>,
    /// A write keyword whose target could not be read.
    unsure: bool,
}

impl Found {
    fn push(&mut self, name: String) {
        push_once(&mut self.tables, name);
    }

    fn statement(self) -> Statement {
        if self.unsure {
            Statement::Unknown
        } else if self.tables.is_empty() {
            Statement::Read
        } else {
            Statement::Writes(self.tables)
        }
    }
}

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

fn classify(s: &Stmt, out: &mut Vec<Statement>) {
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
        "grant" | "revoke" => Read,
        h if READS.contains(&h) => {
            scan_writes(s, 0, &mut found);
            found.statement()
        }
        _ => Unknown,
    };
    out.push(statement);
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
fn begin_is_transaction(s: &Stmt) -> bool {
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
fn scan_writes(s: &Stmt, from: usize, found: &mut Found) {
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
struct TableRef {
    table: String,
    alias: Option<String>,
}

/// The table references of a `FROM`-like clause starting at `i` (`a AS x, b
/// JOIN c ON ..`), up to a word of `stop` outside parentheses.
fn table_refs(s: &Stmt, mut i: usize, stop: &[&str]) -> Vec<TableRef> {
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
fn write_at(s: &Stmt, i: usize, found: &mut Found) -> bool {
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

// ---------------------------------------------------------------------------
// Function calls

/// Keywords that may stand before `(` without being a call.
const NOT_CALLS: &[&str] = &[
    "all",
    "and",
    "any",
    "array",
    "as",
    "by",
    "check",
    "conflict",
    "except",
    "exists",
    "filter",
    "from",
    "group",
    "having",
    "in",
    "intersect",
    "into",
    "is",
    "join",
    "key",
    "lateral",
    "like",
    "limit",
    "materialized",
    "not",
    "offset",
    "on",
    "or",
    "order",
    "over",
    "partition",
    "primary",
    "references",
    "returning",
    "row",
    "select",
    "set",
    "some",
    "table",
    "then",
    "union",
    "unique",
    "using",
    "values",
    "when",
    "where",
    "with",
    "within",
];

fn calls_base(sql: &str, base: Base, out: &mut Vec<String>) {
    let toks = tokens(sql, base);
    let s = Stmt { sql, t: &toks };
    for i in 0..s.len() {
        if !s.is_name(i) || !s.punct(i + 1, b'(') || s.kw_in(i, NOT_CALLS) {
            continue;
        }
        // the first part of the name
        let mut first = i;
        while first >= 2 && s.punct(first - 1, b'.') && s.is_name(first - 2) {
            first -= 2;
        }
        // a table's columns, a prepared statement's parameters
        const NAMES: &[&str] = &[
            "into",
            "table",
            "references",
            "exists",
            "prepare",
            "execute",
        ];
        if first > 0 && s.kw_in(first - 1, NAMES) {
            continue;
        }
        if let Some(name) = s.part(i) {
            push_once(out, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Dialect::{Any, Mysql, Postgres, Sqlite};
    use super::Statement::{self, *};
    use super::{Dialect, analyze, function_calls, sql_name, tables_named, written_tables};

    fn w(tables: &[&str]) -> Statement {
        Writes(tables.iter().map(|t| t.to_string()).collect())
    }

    const ALL: &[Dialect] = &[Postgres, Sqlite, Mysql, Any];

    #[test]
    fn tables_named_finds_joins_and_subqueries_and_nothing_in_strings() {
        let sql = r#"SELECT "posts"."id", "posts"."title" FROM "posts" INNER JOIN "blog_authors" ON "posts"."author_id" = "blog_authors"."id" LEFT OUTER JOIN "Cats" AS c ON c.id = "posts"."category_id" WHERE "posts"."id" IN (SELECT "other"."id" FROM "main"."other" WHERE "other"."flag" = $1 AND x = 'FROM fake') ORDER BY "posts"."id" -- binds: [true]"#;
        for &d in ALL {
            assert_eq!(
                tables_named(sql, d),
                ["posts", "blog_authors", "cats", "other"],
                "{d:?}"
            );
        }
        assert_eq!(
            tables_named(
                "SELECT 1 FROM a, b x, (SELECT * FROM c) d WHERE EXISTS (SELECT 1 FROM e)",
                Any
            ),
            ["a", "b", "c", "e"]
        );
    }

    fn check(dialects: &[Dialect], sql: &str, expected: &[Statement]) {
        for &d in dialects {
            assert_eq!(analyze(sql, d), expected, "{d:?}: {sql}");
        }
    }

    #[test]
    fn table_names_from_renderings() {
        assert_eq!(sql_name("`post_tags`"), "post_tags");
        assert_eq!(sql_name("\"blog\".\"Posts\""), "posts");
        assert_eq!(sql_name("tags"), "tags");
        assert_eq!(sql_name("\"we\"\"ird\""), "we\"ird");
        assert_eq!(sql_name("`shop`.`Items`"), "items");
    }

    #[test]
    fn finds_written_tables() {
        // (sql, tables written) under every dialect
        let cases: &[(&str, &[&str])] = &[
            ("SELECT * FROM products FOR UPDATE", &[]),
            ("SELECT * FROM products FOR NO KEY UPDATE OF products", &[]),
            ("SELECT * FROM products LOCK IN SHARE MODE", &[]),
            (
                "UPDATE products SET title = 'update users' WHERE id = 1",
                &["products"],
            ),
            ("update \"Products\" set x = 1", &["products"]),
            ("UPDATE public.products SET x = 1", &["products"]),
            ("UPDATE public.products AS p SET x = 1", &["products"]),
            ("UPDATE products p SET x = 1 FROM other o", &["products"]),
            ("UPDATE ONLY products SET x = 1", &["products"]),
            ("UPDATE OR REPLACE products SET x = 1", &["products"]),
            (
                "INSERT INTO \"products\" (\"title\") VALUES (?) ON CONFLICT (id) DO UPDATE SET title = 'x'",
                &["products"],
            ),
            ("INSERT OR IGNORE INTO products VALUES (1)", &["products"]),
            ("REPLACE INTO products VALUES (1)", &["products"]),
            (
                "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2",
                &["t"],
            ),
            ("DELETE FROM ONLY products WHERE id = 1", &["products"]),
            ("DELETE FROM \"products\"", &["products"]),
            ("DELETE FROM a USING b WHERE a.id = b.id", &["a"]),
            (
                "WITH moved AS (UPDATE products SET x = 1 RETURNING id) DELETE FROM carts USING moved",
                &["products", "carts"],
            ),
            (
                "WITH n AS (DELETE FROM old_rows RETURNING *) INSERT INTO archive SELECT * FROM n",
                &["old_rows", "archive"],
            ),
            (
                "WITH d AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM d",
                &["a", "b"],
            ),
            ("SELECT * INTO newtab FROM t", &["newtab"]),
            ("SELECT * INTO TEMP TABLE newtab FROM t", &["newtab"]),
            (
                "MERGE INTO stock s USING delivery d ON s.id = d.id WHEN MATCHED THEN UPDATE SET n = s.n + d.n WHEN NOT MATCHED THEN INSERT VALUES (d.id, d.n)",
                &["stock"],
            ),
            ("TRUNCATE TABLE a, b.c, \"D\"", &["a", "c", "d"]),
            ("TRUNCATE a", &["a"]),
            ("TRUNCATE ONLY a, b * RESTART IDENTITY", &["a", "b"]),
            ("-- UPDATE commented\nSELECT 1 /* DELETE FROM x */", &[]),
            ("SELECT 'it''s UPDATE x' FROM y", &[]),
            ("ALTER TABLE products ADD COLUMN z INT", &["products"]),
            (
                "ALTER TABLE products ADD FOREIGN KEY (c) REFERENCES cats (id) ON DELETE CASCADE ON UPDATE SET NULL",
                &["products"],
            ),
            ("ALTER TABLE IF EXISTS old RENAME TO new", &["old", "new"]),
            ("DROP TABLE IF EXISTS products", &["products"]),
            ("DROP TABLE a, b CASCADE", &["a", "b"]),
            ("CREATE TABLE t (id INT PRIMARY KEY)", &["t"]),
            ("CREATE TEMP TABLE IF NOT EXISTS t AS SELECT 1", &["t"]),
            ("CREATE INDEX i ON t (a)", &[]),
            ("CREATE UNIQUE INDEX i ON t (a)", &[]),
            ("CREATE VIEW v AS SELECT * FROM t", &[]),
            ("CREATE OR REPLACE VIEW v AS SELECT * FROM t", &[]),
            ("EXPLAIN SELECT * FROM t", &[]),
            ("EXPLAIN ANALYZE UPDATE t SET a = 1", &["t"]),
            ("EXPLAIN (ANALYZE, BUFFERS) DELETE FROM t", &["t"]),
            ("EXPLAIN QUERY PLAN INSERT INTO t VALUES (1)", &["t"]),
            ("DESCRIBE t", &[]),
            ("SHOW TABLES", &[]),
            ("SET search_path = public", &[]),
            ("RESET ALL", &[]),
            ("VALUES (1), (2)", &[]),
            ("TABLE t", &[]),
            ("(SELECT 1) UNION (SELECT 2)", &[]),
            ("GRANT SELECT, INSERT, UPDATE, DELETE ON t TO u", &[]),
            ("REVOKE UPDATE ON t FROM u", &[]),
            ("ANALYZE t", &[]),
            ("VACUUM", &[]),
            ("SELECT replace(name, 'a', 'b') FROM t", &[]),
            ("SELECT 1 FROM t WHERE a = 'INSERT INTO x'", &[]),
        ];
        for (sql, expected) in cases {
            let expected = if expected.is_empty() {
                Read
            } else {
                w(expected)
            };
            check(ALL, sql, &[expected]);
            assert_eq!(
                written_tables(sql),
                match analyze(sql, Any).as_slice() {
                    [Writes(t)] => t.clone(),
                    _ => Vec::new(),
                },
                "{sql}"
            );
        }
    }

    #[test]
    fn per_dialect_writes() {
        let pg_sqlite = &[Postgres, Sqlite];
        check(
            &[Sqlite, Mysql],
            "UPDATE `shop`.`products` SET x = 1",
            &[w(&["products"])],
        );
        check(
            &[Sqlite],
            "UPDATE [dbo].[Products] SET x = 1",
            &[w(&["products"])],
        );
        // not names in PostgreSQL: unknown under Any
        check(
            &[Postgres, Any],
            "UPDATE `shop`.`products` SET x = 1",
            &[Unknown],
        );
        check(
            &[Postgres, Mysql, Any],
            "UPDATE [dbo].[Products] SET x = 1",
            &[Unknown],
        );
        check(pg_sqlite, "COPY t FROM STDIN", &[w(&["t"])]);
        check(
            &[Postgres],
            "COPY t (a, b) FROM '/tmp/x' WITH (FORMAT csv)",
            &[w(&["t"])],
        );
        check(&[Postgres], "COPY BINARY t FROM STDIN", &[w(&["t"])]);
        check(&[Postgres], "COPY t TO STDOUT", &[Read]);
        check(&[Postgres], "COPY (SELECT * FROM t) TO STDOUT", &[Read]);
        check(
            &[Postgres],
            "COPY (DELETE FROM t RETURNING *) TO STDOUT",
            &[w(&["t"])],
        );
        check(&[Postgres], "COPY t", &[Unknown]);
        // MySQL
        check(&[Mysql], "INSERT t VALUES (1)", &[w(&["t"])]);
        check(&[Mysql], "INSERT IGNORE t (a) VALUES (1)", &[w(&["t"])]);
        check(
            &[Mysql],
            "INSERT LOW_PRIORITY INTO `db`.`t` SET a = 1",
            &[w(&["t"])],
        );
        check(&[Mysql], "REPLACE t VALUES (1)", &[w(&["t"])]);
        check(
            &[Mysql],
            "SELECT INSERT('abc', 1, 1, 'x'), REPLACE(a, 'b', 'c') FROM t",
            &[Read],
        );
        check(
            &[Mysql],
            "UPDATE t1, t2 SET t1.a = t2.a WHERE t1.id = t2.id",
            &[w(&["t1", "t2"])],
        );
        check(
            &[Mysql],
            "UPDATE t1 AS a JOIN t2 b ON a.id = b.id LEFT JOIN t3 ON (t3.x = f(a.id, 2)) SET a.x = 1",
            &[w(&["t1", "t2", "t3"])],
        );
        check(
            &[Mysql],
            "UPDATE LOW_PRIORITY IGNORE t SET a = 1",
            &[w(&["t"])],
        );
        check(
            &[Mysql],
            "DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id",
            &[w(&["t1"])],
        );
        check(
            &[Mysql],
            "DELETE a FROM t1 AS a JOIN t2 AS b ON a.id = b.id",
            &[w(&["t1"])],
        );
        check(
            &[Mysql],
            "DELETE t1.*, t2 FROM t1, t2 WHERE t1.id = t2.id",
            &[w(&["t1", "t2"])],
        );
        check(
            &[Mysql],
            "DELETE FROM a, b USING t1 AS a INNER JOIN t2 AS b ON a.id = b.id",
            &[w(&["t1", "t2"])],
        );
        check(
            &[Mysql],
            "DELETE x FROM t1 JOIN t2",
            &[w(&["x", "t1", "t2"])],
        );
        check(
            &[Mysql],
            "DELETE LOW_PRIORITY QUICK IGNORE FROM t WHERE a = 1",
            &[w(&["t"])],
        );
        check(
            &[Mysql],
            "LOAD DATA LOCAL INFILE '/tmp/x.csv' REPLACE INTO TABLE `db`.`T` FIELDS TERMINATED BY ','",
            &[w(&["t"])],
        );
        // MariaDB's per-statement settings: the statement after FOR.
        check(
            &[Mysql],
            "SET STATEMENT max_statement_time = 100 FOR UPDATE products SET title = 'x' WHERE id = 1",
            &[w(&["products"])],
        );
        check(
            &[Mysql],
            "set statement sql_mode = '', foreign_key_checks = 0 for delete from `Orders` where id = 2",
            &[w(&["orders"])],
        );
        check(
            &[Mysql],
            "SET STATEMENT sql_mode = '' FOR SELECT 1",
            &[Read],
        );
        check(&[Mysql], "SET STATEMENT sql_mode = ''", &[Unknown]);
        check(
            &[Mysql],
            "LOAD XML INFILE 'x.xml' INTO TABLE t",
            &[w(&["t"])],
        );
        check(&[Mysql], "SELECT a INTO @x FROM t", &[Read]);
        check(&[Mysql], "SELECT a FROM t INTO OUTFILE '/tmp/x'", &[Read]);
        check(
            &[Mysql],
            "CREATE TABLE t (ts TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
            &[w(&["t"])],
        );
        check(
            &[Mysql],
            "CREATE ALGORITHM = MERGE DEFINER = `a`@`%` SQL SECURITY DEFINER VIEW v AS SELECT 1",
            &[Read],
        );
        check(&[Mysql], "UPDATE 1t SET a = 1", &[w(&["1t"])]);
        // SQLite
        check(
            &[Sqlite],
            "INSERT OR REPLACE INTO t VALUES (1)",
            &[w(&["t"])],
        );
        check(&[Sqlite], "REPLACE INTO t VALUES (1)", &[w(&["t"])]);
        check(&[Sqlite], "VACUUM INTO '/tmp/copy.db'", &[Read]);
        check(&[Sqlite], "PRAGMA table_info(t)", &[Read]);
        check(
            &[Sqlite],
            "INSERT INTO t (a) VALUES ($a) ON CONFLICT(a) DO UPDATE SET b = excluded.b",
            &[w(&["t"])],
        );
        check(
            &[Sqlite],
            "CREATE TABLE t (a INT UNIQUE ON CONFLICT REPLACE)",
            &[w(&["t"])],
        );
    }

    #[test]
    fn unknown_statements() {
        for sql in [
            "CALL proc(1)",
            "EXECUTE p(1)",
            "EXECUTE stmt USING @a",
            "COMMIT PREPARED 'x'",
            "ROLLBACK PREPARED 'x'",
            "CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql",
            "CREATE MATERIALIZED VIEW m AS SELECT 1",
            "REFRESH MATERIALIZED VIEW m",
            "DROP VIEW v",
            "ALTER VIEW v RENAME TO w",
            "UPSERT t",
            "CLUSTER t",
            "EXPLAIN EXECUTE p(1)",
            "INSERT INTO (SELECT 1)",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
            "LOAD 'plugin'",
            "SELECT (1",
            "SELECT 1)",
            "42",
            "'just a string'",
        ] {
            check(&[Postgres, Sqlite, Mysql], sql, &[Unknown]);
        }
        check(
            &[Postgres],
            "DO $$ BEGIN UPDATE t SET a = 1; END $$",
            &[Unknown],
        );
        // `WITH .. UPDATE` hidden in a dollar quote only PostgreSQL lexes.
        check(
            &[Postgres],
            "WITH x AS (SELECT $$'$$ AS q) UPDATE t SET a = 1",
            &[w(&["t"])],
        );
        check(
            &[Any],
            "WITH x AS (SELECT $$'$$ AS q) UPDATE t SET a = 1",
            &[Unknown],
        );
        check(
            &[Postgres],
            "SELECT $tag$ it's $$ not; the end $tag$; UPDATE t SET a = 1",
            &[Read, w(&["t"])],
        );
        check(
            &[Postgres],
            "SELECT $a$ unterminated $b$; UPDATE t SET a = 1",
            &[Unknown],
        );
        check(
            &[Postgres],
            "SELECT $1, $2; UPDATE t SET a = $3",
            &[Read, w(&["t"])],
        );
        check(&[Postgres], "SELECT a$$b, c FROM t", &[Read]);
    }

    #[test]
    fn lexical_rules() {
        // PostgreSQL: E'' escapes, nested comments.
        let sql = r"SELECT E'\'; UPDATE t SET a = 1; --'; DELETE FROM u";
        check(&[Postgres], sql, &[Read, w(&["u"])]);
        check(
            &[Postgres],
            r"SELECT e'\\'; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(
            &[Postgres],
            r"SELECT '\'; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(
            &[Postgres],
            "SELECT U&'d\\0061t'; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(&[Postgres], "UPDATE U&\"T\" SET a = 1", &[w(&["t"])]);
        check(
            &[Postgres],
            "/* a /* nested */ still a comment; UPDATE x */ DELETE FROM u",
            &[w(&["u"])],
        );
        check(&[Postgres], "/* a /* nested */ DELETE FROM u", &[Unknown]);
        check(
            &[Postgres],
            "SELECT 1 -- comment\rDELETE FROM u",
            &[w(&["u"])],
        );
        check(
            &[Postgres],
            "UPDATE \"we\"\"ird\" SET a = 1",
            &[w(&["we\"ird"])],
        );
        check(
            &[Postgres],
            "SELECT 2 */* c */ 3; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        // SQLite: comments do not nest; an open one ends the text.
        check(
            &[Sqlite],
            "/* a /* b */ DELETE FROM u /* open",
            &[w(&["u"])],
        );
        check(
            &[Sqlite],
            "SELECT [a;b], `c``;d` FROM t; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(&[Sqlite], "SELECT 1 -- x\rDELETE FROM u", &[Read]);
        check(&[Sqlite], "SELECT $$; DELETE FROM u", &[Read, w(&["u"])]);
        // MySQL: backslashes, both quotes, # and -- comments, executable comments.
        check(
            &[Mysql],
            r"SELECT 'a\'; UPDATE t SET a = 1'; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(
            &[Mysql],
            r#"SELECT "a\"; UPDATE t SET a = 1"; DELETE FROM u"#,
            &[Read, w(&["u"])],
        );
        check(
            &[Mysql],
            "SELECT 'a''b', \"c\"\"d\"; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(
            &[Mysql],
            "SELECT 1 # comment; UPDATE t\nDELETE FROM u",
            &[w(&["u"])],
        );
        check(
            &[Mysql],
            "SELECT 1 -- comment; UPDATE t\nDELETE FROM u",
            &[w(&["u"])],
        );
        check(&[Mysql], "SELECT 1--1; DELETE FROM u", &[Read, w(&["u"])]);
        check(
            &[Mysql],
            "SELECT 1 /*! ; DELETE FROM u */",
            &[Read, w(&["u"])],
        );
        check(
            &[Mysql],
            "/*!40101 SET NAMES utf8 */; /*!50001 UPDATE t SET a = 1 */",
            &[Read, w(&["t"])],
        );
        check(&[Mysql], "/*M!100101 DELETE FROM u */", &[w(&["u"])]);
        check(
            &[Mysql],
            "SELECT 1 /*!50001 , '*/' */; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(
            &[Mysql],
            "SELECT 1 /* not /* nested */; DELETE FROM u",
            &[Read, w(&["u"])],
        );
        check(&[Mysql], "SELECT $$, a$b FROM t", &[Read]);
        check(&[Mysql], "/*!50001 DELETE FROM u", &[Unknown]);
        check(&[Mysql], "/* open", &[Unknown]);
        check(&[Postgres], "/* open", &[Unknown]);
        // Unterminated strings and identifiers, everywhere.
        for sql in [
            "SELECT 'open; UPDATE t SET a = 1",
            "SELECT \"open; UPDATE t SET a = 1",
            "UPDATE t SET a = 'x",
        ] {
            check(ALL, sql, &[Unknown]);
        }
        check(&[Sqlite, Mysql], "SELECT `open", &[Unknown]);
        check(&[Sqlite], "SELECT [open", &[Unknown]);
        check(&[Postgres], "SELECT E'open\\'", &[Unknown]);
        check(&[Mysql], r"SELECT 'open\'", &[Unknown]);
        // Before an unterminated statement, the ones already read stand.
        check(&[Postgres], "BEGIN; UPDATE t SET a = 'x", &[Begin, Unknown]);
    }

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
    fn transactions() {
        let cases: &[(&str, &[Statement])] = &[
            ("BEGIN", &[Begin]),
            ("begin work", &[Begin]),
            ("BEGIN TRANSACTION", &[Begin]),
            (
                "BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY, NOT DEFERRABLE",
                &[Begin],
            ),
            (
                "BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED READ WRITE",
                &[Begin],
            ),
            ("BEGIN ISOLATION LEVEL REPEATABLE READ", &[Begin]),
            ("BEGIN DEFERRED", &[Begin]),
            ("BEGIN IMMEDIATE TRANSACTION", &[Begin]),
            ("BEGIN EXCLUSIVE", &[Begin]),
            ("BEGIN TRANSACTION tx1", &[Begin]),
            ("START TRANSACTION", &[Begin]),
            (
                "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT",
                &[Begin],
            ),
            ("START TRANSACTION ISOLATION LEVEL SERIALIZABLE", &[Begin]),
            ("COMMIT", &[Commit]),
            ("COMMIT WORK", &[Commit]),
            ("COMMIT TRANSACTION", &[Commit]),
            ("commit and no chain", &[Commit]),
            ("COMMIT AND CHAIN", &[Commit, Begin]),
            ("COMMIT WORK AND NO CHAIN NO RELEASE", &[Commit]),
            ("COMMIT RELEASE", &[Commit]),
            ("END", &[Commit]),
            ("END TRANSACTION", &[Commit]),
            ("end work", &[Commit]),
            ("ROLLBACK", &[Rollback]),
            ("ROLLBACK WORK", &[Rollback]),
            ("ABORT", &[Rollback]),
            ("ABORT TRANSACTION", &[Rollback]),
            ("ROLLBACK AND CHAIN", &[Rollback, Begin]),
            ("ROLLBACK AND NO CHAIN", &[Rollback]),
            ("SAVEPOINT sp1", &[Savepoint("sp1".into())]),
            ("SAVEPOINT SP1", &[Savepoint("sp1".into())]),
            ("TRUNCATE categories CASCADE", &[Unknown]),
            ("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE", &[Unknown]),
            // PostgreSQL folds ASCII only, and cuts names to 63 bytes.
            ("SAVEPOINT Éa", &[Savepoint("Éa".into())]),
            (
                concat!(
                    "SAVEPOINT ",
                    "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss",
                    "x"
                ),
                &[Savepoint(
                    "sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss".into(),
                )],
            ),
            ("SAVEPOINT \"My Sp\"", &[Savepoint("My Sp".into())]),
            ("SAVEPOINT \"a\"\"b\"", &[Savepoint("a\"b".into())]),
            ("RELEASE SAVEPOINT Sp1", &[Release("sp1".into())]),
            ("RELEASE sp1", &[Release("sp1".into())]),
            ("ROLLBACK TO SAVEPOINT sp1", &[RollbackTo("sp1".into())]),
            ("ROLLBACK TO sp1", &[RollbackTo("sp1".into())]),
            (
                "ROLLBACK WORK TO SAVEPOINT \"X\"",
                &[RollbackTo("X".into())],
            ),
            (
                "ROLLBACK TRANSACTION TO SAVEPOINT x",
                &[RollbackTo("x".into())],
            ),
            ("PREPARE TRANSACTION 'tx'", &[Commit]),
            ("SAVEPOINT", &[Unknown]),
            ("SAVEPOINT a b", &[Unknown]),
            ("RELEASE", &[Unknown]),
            ("ROLLBACK TO", &[Unknown]),
            ("COMMIT PREPARED 'tx'", &[Unknown]),
            ("COMMIT sideways", &[Unknown]),
            ("BEGIN ATOMIC", &[Unknown]),
            ("BEGIN NOT ATOMIC UPDATE t SET a = 1; END", &[Unknown]),
            ("START SLAVE", &[Unknown]),
            (
                "BEGIN; UPDATE t SET x=1; COMMIT",
                &[Begin, Writes(vec!["t".into()]), Commit],
            ),
            (
                "START TRANSACTION; SAVEPOINT a; DELETE FROM t; ROLLBACK TO SAVEPOINT a; RELEASE a; END;",
                &[
                    Begin,
                    Savepoint("a".into()),
                    Writes(vec!["t".into()]),
                    RollbackTo("a".into()),
                    Release("a".into()),
                    Commit,
                ],
            ),
            (";; -- nothing\n ; /* here */ ;", &[]),
            ("", &[]),
            ("SELECT 1;;SELECT 2;", &[Read, Read]),
        ];
        for (sql, expected) in cases {
            check(ALL, sql, expected);
        }
        // MySQL backticks, SQLite brackets: quoted savepoint names
        check(
            &[Mysql, Sqlite],
            "SAVEPOINT `Sp`",
            &[Savepoint("Sp".into())],
        );
        check(&[Sqlite], "RELEASE [Sp]", &[Release("Sp".into())]);
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

    #[test]
    fn function_calls_in_code() {
        assert_eq!(
            function_calls(
                "SELECT my_fn(1), s.Other (2), \"Quoted\"(3), 'no_fn(4)' /* nope(5) */ FROM t \
                 WHERE a IN (1) AND EXISTS (SELECT 1) -- never(6)",
                Postgres
            ),
            ["my_fn", "other", "quoted"]
        );
        assert_eq!(
            function_calls("INSERT INTO t (a) VALUES (f(1), f(2))", Any),
            ["f"]
        );
        assert_eq!(function_calls("SELECT $$g(1)$$, h(1)", Postgres), ["h"]);
        assert_eq!(function_calls("SELECT 1 # g(1)\n, h(1)", Mysql), ["h"]);
        assert_eq!(function_calls("SELECT /*! g(1) */ h(1)", Mysql), ["g", "h"]);
        assert_eq!(function_calls("CALL proc()", Any), ["proc"]);
        assert_eq!(
            function_calls(
                "WITH x AS MATERIALIZED (SELECT 1) SELECT f(1); PREPARE p (int) AS SELECT 1; EXECUTE p(1)",
                Postgres
            ),
            ["f"]
        );
        assert_eq!(
            function_calls("SELECT 'open g(1)", Any),
            Vec::<String>::new()
        );
        // Any: every dialect's reading
        assert_eq!(function_calls("SELECT 1 # g(1)\n, h(1)", Any), ["g", "h"]);
    }

    #[test]
    fn written_tables_shim() {
        assert_eq!(
            written_tables("BEGIN; UPDATE a SET x = 1; DELETE FROM b; COMMIT"),
            ["a", "b"]
        );
        assert!(written_tables("CALL p()").is_empty());
        // Diesel's rendering for SQLite and MySQL: backticks, binds after `--`
        assert_eq!(
            written_tables(
                "UPDATE `products` SET `x` = ? WHERE (`products`.`slug` = ?) -- binds: [false, \"a\"]"
            ),
            ["products"]
        );
    }
}
