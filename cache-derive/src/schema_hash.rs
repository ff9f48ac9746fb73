//! The schema hash: FNV-1a over the struct's field names and types and the
//! `version` option, so a changed struct never reads an old struct's bytes.

pub(crate) fn schema_hash(fields: &[(String, String)], version: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (name, ty) in fields {
        feed(name.as_bytes());
        feed(b":");
        feed(ty.as_bytes());
        feed(b";");
    }
    feed(&version.to_le_bytes());
    format!("{h:016x}")
}
