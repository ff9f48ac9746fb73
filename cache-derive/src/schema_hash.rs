//! The schema hash: FNV-1a over the cached form's version, the struct's
//! field names and types and the `version` option, so a changed struct (or
//! a changed layout of the cached form) never reads older bytes.

/// Bumped whenever the generated `CacheForm` lays values out differently.
const FORM_VERSION: &[u8] = b"form:2;";

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
        feed(ty.as_bytes());
        feed(b";");
    }
    feed(&version.to_le_bytes());
    format!("{h:016x}")
}
