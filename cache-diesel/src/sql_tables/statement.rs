//! One statement's tokens ([`Stmt`]) and how they are read: keywords,
//! punctuation, names (qualified, quoted, lower-cased), lists of names.

use super::lexer::{Kind, Tok};

pub(super) struct Stmt<'a> {
    pub(super) sql: &'a str,
    pub(super) t: &'a [Tok],
}

impl<'a> Stmt<'a> {
    pub(super) fn len(&self) -> usize {
        self.t.len()
    }

    pub(super) fn text(&self, i: usize) -> &'a str {
        self.t
            .get(i)
            .and_then(|t| self.sql.get(t.start..t.end))
            .unwrap_or("")
    }

    pub(super) fn kind(&self, i: usize) -> Option<Kind> {
        self.t.get(i).map(|t| t.kind)
    }

    pub(super) fn kw(&self, i: usize, w: &str) -> bool {
        self.kind(i) == Some(Kind::Word) && self.text(i).eq_ignore_ascii_case(w)
    }

    pub(super) fn kw_in(&self, i: usize, ws: &[&str]) -> bool {
        self.kind(i) == Some(Kind::Word) && {
            let text = self.text(i);
            ws.iter().any(|w| text.eq_ignore_ascii_case(w))
        }
    }

    pub(super) fn punct(&self, i: usize, c: u8) -> bool {
        self.kind(i) == Some(Kind::Punct(c))
    }

    pub(super) fn is_name(&self, i: usize) -> bool {
        matches!(self.kind(i), Some(Kind::Word | Kind::Quoted(_)))
    }

    /// The text of a name token as written: a quoted one unescaped.
    pub(super) fn verbatim(&self, i: usize) -> Option<String> {
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

    /// A savepoint's name as PostgreSQL folds it: a quoted one verbatim, an
    /// unquoted one with its ASCII letters lower-cased (`É` is left alone);
    /// then cut to 63 bytes (two names alike in their first 63 bytes are
    /// one savepoint there; elsewhere, treating them as one only
    /// over-invalidates). SQLite and MySQL fold more: `split`'s
    /// `fold_savepoint_name`.
    pub(super) fn savepoint_name(&self, i: usize) -> Option<String> {
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
    pub(super) fn part(&self, i: usize) -> Option<String> {
        self.verbatim(i).map(|n| n.to_lowercase())
    }

    /// A possibly qualified name at `i` (and a following `.*`): its last
    /// part and the index after it.
    pub(super) fn name(&self, mut i: usize) -> Option<(String, usize)> {
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
    pub(super) fn skip_parens(&self, mut i: usize) -> usize {
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
    pub(super) fn name_list(&self, mut i: usize, out: &mut Vec<String>) -> usize {
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

/// Adds `name` to `out` unless it is there already.
pub(super) fn push_once(out: &mut Vec<String>, name: String) {
    if !out.contains(&name) {
        out.push(name);
    }
}
