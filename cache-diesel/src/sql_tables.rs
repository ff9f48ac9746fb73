//! Which tables a SQL statement writes, read from its text.
//!
//! Deliberately coarse: it looks for `INSERT/REPLACE/MERGE .. INTO t`,
//! `UPDATE t` (not `FOR UPDATE`, `DO UPDATE`, `KEY UPDATE`), `DELETE FROM t`,
//! `TRUNCATE t, u`, `ALTER/DROP TABLE t` anywhere in the text, so writes
//! inside CTEs are found too. Names may be quoted (`"t"`, `` `t` ``, `[t]`)
//! and schema-qualified (`s.t`): the last part is returned, lower-cased.
//! A false positive only invalidates more than needed; what it cannot see
//! at all (triggers, other programs) is documented in the README.

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Dot,
    Comma,
    Other,
}

fn tokens(sql: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '\'' => {
                // a string literal; '' is an escaped quote
                while let Some(d) = chars.next() {
                    if d == '\'' && chars.peek() != Some(&'\'') {
                        break;
                    } else if d == '\'' {
                        chars.next();
                    }
                }
                out.push(Token::Other);
            }
            '"' | '`' | '[' => {
                let close = match c {
                    '[' => ']',
                    q => q,
                };
                let mut name = String::new();
                while let Some(d) = chars.next() {
                    if d == close && chars.peek() == Some(&close) && close != ']' {
                        chars.next();
                        name.push(d);
                    } else if d == close {
                        break;
                    } else {
                        name.push(d);
                    }
                }
                out.push(Token::Quoted(name));
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for d in chars.by_ref() {
                    if prev == '*' && d == '/' {
                        break;
                    }
                    prev = d;
                }
            }
            '.' => out.push(Token::Dot),
            ',' => out.push(Token::Comma),
            c if c.is_alphanumeric() || c == '_' || c == '$' => {
                let mut word = String::from(c);
                while let Some(&d) = chars.peek() {
                    if d.is_alphanumeric() || d == '_' || d == '$' {
                        word.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(word.to_ascii_lowercase()));
            }
            _ => out.push(Token::Other),
        }
    }
    out
}

fn is_word(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token::Word(x)) if x == w)
}

/// Reads a possibly qualified name at `i`; returns its last part and the
/// index after it.
fn name_at(ts: &[Token], mut i: usize) -> Option<(String, usize)> {
    let mut last = None;
    loop {
        match ts.get(i) {
            Some(Token::Word(w)) | Some(Token::Quoted(w)) => last = Some(w.to_lowercase()),
            _ => return last.map(|n| (n, i)),
        }
        i += 1;
        if ts.get(i) == Some(&Token::Dot) {
            i += 1;
        } else {
            return last.map(|n| (n, i));
        }
    }
}

/// Skips modifiers that may stand between a keyword and the table name.
fn skip_modifiers(ts: &[Token], mut i: usize) -> usize {
    const MODIFIERS: &[&str] = &[
        "only",
        "table",
        "ignore",
        "low_priority",
        "quick",
        "if",
        "exists",
    ];
    loop {
        match ts.get(i) {
            Some(Token::Word(w)) if MODIFIERS.contains(&w.as_str()) => i += 1,
            // SQLite: UPDATE OR REPLACE t, INSERT OR IGNORE INTO t
            Some(Token::Word(w)) if w == "or" => i += 2,
            _ => return i,
        }
    }
}

/// The tables `sql` writes to (lower case, without schema), in order, once each.
pub fn written_tables(sql: &str) -> Vec<String> {
    let ts = tokens(sql);
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: String| {
        if !out.contains(&name) {
            out.push(name);
        }
    };
    for i in 0..ts.len() {
        let Token::Word(w) = &ts[i] else { continue };
        let prev = if i > 0 { ts.get(i - 1) } else { None };
        let start = match w.as_str() {
            "into" => Some(i + 1),
            "update" if !(is_word(prev, "for") || is_word(prev, "do") || is_word(prev, "key")) => {
                Some(i + 1)
            }
            "delete" => {
                let j = skip_modifiers(&ts, i + 1);
                is_word(ts.get(j), "from").then_some(j + 1)
            }
            "truncate" => {
                let mut j = skip_modifiers(&ts, i + 1);
                while let Some((name, next)) = name_at(&ts, j) {
                    push(name);
                    if ts.get(next) != Some(&Token::Comma) {
                        break;
                    }
                    j = next + 1;
                }
                None
            }
            "alter" | "drop" if is_word(ts.get(i + 1), "table") => Some(i + 1),
            _ => None,
        };
        if let Some(j) = start
            && let Some((name, _)) = name_at(&ts, skip_modifiers(&ts, j))
        {
            push(name);
        }
    }
    out
}

/// A table's SQL name from its rendering (`"s"."t"`, `` `t` ``, `t`): the
/// last part, unquoted, lower-cased, as [`written_tables`] reports it.
pub fn sql_name(rendered: &str) -> String {
    let ts = tokens(rendered);
    name_at(&ts, 0).map_or_else(|| rendered.to_lowercase(), |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::{sql_name, written_tables};

    #[test]
    fn table_names_from_renderings() {
        assert_eq!(sql_name("`post_tags`"), "post_tags");
        assert_eq!(sql_name("\"blog\".\"Posts\""), "posts");
        assert_eq!(sql_name("tags"), "tags");
    }

    #[test]
    fn finds_written_tables() {
        let cases: &[(&str, &[&str])] = &[
            ("SELECT * FROM products WHERE id = $1", &[]),
            ("SELECT * FROM products FOR UPDATE", &[]),
            ("SELECT * FROM products FOR NO KEY UPDATE OF products", &[]),
            (
                "UPDATE products SET title = 'update users' WHERE id = 1",
                &["products"],
            ),
            ("update \"Products\" set x = 1", &["products"]),
            ("UPDATE `shop`.`products` SET x = 1", &["products"]),
            ("UPDATE [dbo].[Products] SET x = 1", &["products"]),
            ("UPDATE public.products SET x = 1", &["products"]),
            ("UPDATE OR REPLACE products SET x = 1", &["products"]),
            (
                "INSERT INTO \"products\" (\"title\") VALUES ($1) ON CONFLICT (id) DO UPDATE SET title = 'x'",
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
            (
                "WITH moved AS (UPDATE products SET x = 1 RETURNING id) DELETE FROM carts USING moved",
                &["products", "carts"],
            ),
            (
                "WITH n AS (DELETE FROM old_rows RETURNING *) INSERT INTO archive SELECT * FROM n",
                &["old_rows", "archive"],
            ),
            ("TRUNCATE TABLE a, b.c, \"D\"", &["a", "c", "d"]),
            ("-- UPDATE commented\nSELECT 1 /* DELETE FROM x */", &[]),
            ("SELECT 'it''s UPDATE x' FROM y", &[]),
            ("ALTER TABLE products ADD COLUMN z INT", &["products"]),
            ("DROP TABLE IF EXISTS products", &["products"]),
        ];
        for (sql, expected) in cases {
            assert_eq!(written_tables(sql), expected.to_vec(), "{sql}");
        }
    }
}
