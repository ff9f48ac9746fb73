//! The lexer: one pass over a statement's bytes under a dialect's lexical
//! rules (strings and their escapes, dollar quotes, quoted identifiers,
//! nested or executable comments), yielding tokens that borrow the text.

use super::Dialect;

/// A concrete dialect (what [`Dialect::Any`] is made of).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Base {
    Postgres,
    Sqlite,
    Mysql,
}

impl Base {
    pub(super) fn of(d: Dialect) -> Base {
        match d {
            Dialect::Postgres => Base::Postgres,
            Dialect::Sqlite => Base::Sqlite,
            Dialect::Mysql | Dialect::Any => Base::Mysql,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
pub(super) struct Tok {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
    /// Inside a MySQL comment the server may or may not run: one gated by a
    /// version (`/*!99999 .. */`, run only by servers at least that new)
    /// or MariaDB's `/*M! .. */` (which MySQL does not run).
    pub(super) gated: bool,
}

pub(super) enum Lexed {
    Tok(Tok),
    End,
    /// A string, quoted identifier or comment that the text does not close.
    Unterminated,
}

pub(super) struct Lexer<'a> {
    b: &'a [u8],
    pos: usize,
    base: Base,
    /// Inside a MySQL `/*! .. */`, whose content is code.
    executable: bool,
    /// That comment is one some servers skip: see [`Tok::gated`].
    gated: bool,
    /// A backslash escapes in every `'..'` string: PostgreSQL's
    /// `standard_conforming_strings = off` (see [`Lexer::escaping_strings`]).
    backslash_strings: bool,
}

fn ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

impl<'a> Lexer<'a> {
    pub(super) fn new(sql: &'a str, base: Base) -> Self {
        Lexer {
            b: sql.as_bytes(),
            pos: 0,
            base,
            executable: false,
            gated: false,
            backslash_strings: false,
        }
    }

    /// The lexer of PostgreSQL under `standard_conforming_strings = off`,
    /// where a backslash escapes in `'..'` as in `E'..'` (identifiers,
    /// dollar quotes and comments read the same).
    pub(super) fn escaping_strings(mut self) -> Self {
        self.backslash_strings = true;
        self
    }

    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn tok(&mut self, kind: Kind, start: usize, end: usize, next: usize) -> Lexed {
        self.pos = next;
        Lexed::Tok(Tok {
            kind,
            start,
            end,
            gated: self.executable && self.gated,
        })
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

    pub(super) fn next(&mut self) -> Lexed {
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
                            self.gated = n == 4 || i > start + n;
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
                    let backslash = self.base == Base::Mysql || self.backslash_strings;
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

#[cfg(test)]
mod tests {
    use super::super::Dialect::{Mysql, Postgres, Sqlite};
    use super::super::Statement::*;
    use super::super::tests::{ALL, check, w};
    use super::super::{Dialect, analyze};

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
        // What a version-gated comment holds may not run: reads and writes
        // stay (a write that did not run is invalidated anyway), what the
        // tracker would act on is unknown.
        for sql in [
            "/*!99999 START TRANSACTION */",
            "/*M! BEGIN */",
            "/*M!100101 COMMIT */",
            "/*!50001 SET autocommit = 0 */",
            "/*!50001 SAVEPOINT a */",
            "/*!99999 LOCK TABLES t WRITE */",
            "/*!99999 CREATE TABLE x (a int) */",
        ] {
            let found = analyze(sql, Dialect::Mysql);
            assert!(
                found.contains(&Unknown) && found.iter().all(|s| matches!(s, Unknown | Writes(_))),
                "{sql}: {found:?}"
            );
        }
        check(&[Mysql], "/*! START TRANSACTION */", &[Begin]);
        check(
            &[Mysql],
            "SELECT 1; /*!99999 BEGIN */; UPDATE t SET a = 1 /*!99999 , b = 2 */",
            &[Read, Unknown, w(&["t"])],
        );
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

    /// PostgreSQL text once `standard_conforming_strings` may be off: by
    /// PostgreSQL's rules, a backslash in '..' read both ways (it was read
    /// by every dialect's rules, and valid PostgreSQL, nested comments and
    /// dollar quotes, came out unterminated).
    #[test]
    fn postgres_strings_read_both_ways() {
        use super::super::analyze_postgres_either_strings as either;
        let sql =
            "/* a /* b */ ' */  SELECT $$'$$ AS q;/* ' *//* a /* b */ ' */ UPDATE t SET a = 1";
        assert_eq!(either(sql), [Read, w(&["t"])]);
        assert_eq!(
            either(r"SELECT 'a\'; UPDATE t SET a = 1; --'"),
            [Read, Unknown]
        );
        assert_eq!(either(r"SELECT 'a\'' FROM t; DELETE FROM u"), [Unknown]);
        // E'..', dollar quotes and identifiers read the same either way.
        let sql = r#"SELECT E'a\'', $$\$$, "b\"; UPDATE t SET a = 1"#;
        assert_eq!(either(sql), [Read, w(&["t"])]);
    }
}
