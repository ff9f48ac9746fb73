//! The schema hash: FNV-1a over the cached form's version, the struct's
//! field names and types and the `version` option, so a changed struct (or
//! a changed layout of the cached form) never reads older bytes.

/// Bumped whenever the generated `CacheForm` lays values out differently.
/// (3: the form is one MessagePack binary, written by `FormWriter`.)
const FORM_VERSION: &[u8] = b"form:3;";

/// `fields` are (name, type as printed); the type's whitespace is dropped
/// first, as printers differ in it (rustc writes `[u8; 4]`, proc-macro2
/// `[u8 ; 4]`), so one struct hashes alike whoever printed it.
pub(crate) fn schema_hash(fields: &[(String, String)], version: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(FORM_VERSION);
    for (name, ty) in fields {
        feed(name.as_bytes());
        feed(b":");
        feed(squeeze(ty).as_bytes());
        feed(b";");
    }
    feed(&version.to_le_bytes());
    format!("{h:016x}")
}

/// `text` without the whitespace outside its string literals (printers
/// differ in spacing; a literal's own spaces are its value: `rename = "a
/// b"` is not `rename = "ab"`).
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut quoted, mut escaped) = (false, false);
    for c in text.chars() {
        if quoted {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
        } else if c == '"' {
            quoted = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::schema_hash;

    fn one(ty: &str) -> String {
        schema_hash(&[("f".to_owned(), ty.to_owned())], 0)
    }

    #[test]
    fn types_hash_alike_however_they_were_spaced() {
        assert_eq!(one("[u8; 4]"), one("[u8 ; 4]"));
        assert_eq!(one("(i32, String)"), one("(i32 , String)"));
        assert_ne!(one("[u8; 4]"), one("[u8; 5]"));
        assert_ne!(one("i32"), one("i64"));
        assert_eq!(
            one(r#"i32 # [serde (rename = "a b")]"#),
            one(r#"i32 #[serde(rename = "a b")]"#)
        );
        assert_ne!(
            one(r#"i32 #[serde(rename = "a b")]"#),
            one(r#"i32 #[serde(rename = "ab")]"#)
        );
        assert_ne!(
            one(r#"i32 #[serde(rename = "a\" b")]"#),
            one(r#"i32 #[serde(rename = "a\"b")]"#)
        );
        assert_ne!(
            schema_hash(&[("f".to_owned(), "i32".to_owned())], 0),
            schema_hash(&[("f".to_owned(), "i32".to_owned())], 1)
        );
    }
}
