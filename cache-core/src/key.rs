//! Building backend keys: prefix, namespace, version, escaping and hashing.
//!
//! A backend key has the shape `{prefix}:{namespace}:{scope...}:{name}`.
//! The prefix and scope segments have `%`, `:`, `{`, `}` and a leading `#`
//! escaped; the last segment (the untrusted name) has `%`, `{`, `}` and a
//! leading `#` escaped, so a key is never ambiguous. A scope segment whose
//! escaped form is longer than [`MAX_SEGMENT_LEN`] (a list's suffix, say),
//! and a name whose escaped form would make the key longer than
//! [`MAX_KEY_LEN`], are replaced by `#` and the SHA-256 of the raw text; an
//! escaped segment never starts with `#`, so the two cannot collide.
//! `{` and `}` are escaped so that a user key can never pick a Redis Cluster
//! hash slot: hash tags stay under this crate's control.

use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::OnceLock;

/// Longest backend key built before the name is hashed (memcached's limit).
pub const MAX_KEY_LEN: usize = 250;

/// Longest escaped scope segment kept readable; longer ones are hashed.
pub const MAX_SEGMENT_LEN: usize = 64;

/// The separate key spaces of one cache. No key in one can equal a key in
/// another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Namespace {
    /// Keys given to the low-level API (`cache.set("k", ..)`).
    User,
    /// A model's detail entries (one row by a unique column).
    Detail,
    /// A model's list entries.
    List,
    /// Version tags of the invalidation protocol.
    Tag,
    /// Fill leases.
    Lease,
    /// Cached query functions.
    Query,
}

impl Namespace {
    /// The short marker written into the key.
    pub fn marker(self) -> &'static str {
        match self {
            Namespace::User => "k",
            Namespace::Detail => "d",
            Namespace::List => "l",
            Namespace::Tag => "t",
            Namespace::Lease => "x",
            Namespace::Query => "q",
        }
    }
}

/// A caller's key with an optional per-call version (Django's `version=`).
///
/// Every key-taking method accepts `&str`, `String` or a `Key`:
///
/// ```
/// use cache_core::Key;
/// let plain: Key = "user:42".into();
/// let versioned = Key::new("user:42").version(3);
/// assert_eq!(plain.name(), versioned.name());
/// assert_eq!(versioned.explicit_version(), Some(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key<'a> {
    name: Cow<'a, str>,
    version: Option<u64>,
}

impl<'a> Key<'a> {
    /// A key that uses the cache's default version.
    pub fn new(name: impl Into<Cow<'a, str>>) -> Self {
        Key {
            name: name.into(),
            version: None,
        }
    }

    /// The same key at an explicit version.
    pub fn version(mut self, version: u64) -> Self {
        self.version = Some(version);
        self
    }

    /// The caller's name for the key.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The explicit version, if one was given.
    pub fn explicit_version(&self) -> Option<u64> {
        self.version
    }
}

impl<'a> From<&'a str> for Key<'a> {
    fn from(s: &'a str) -> Self {
        Key::new(s)
    }
}

impl<'a> From<&'a String> for Key<'a> {
    fn from(s: &'a String) -> Self {
        Key::new(s.as_str())
    }
}

impl From<String> for Key<'static> {
    fn from(s: String) -> Self {
        Key::new(s)
    }
}

/// The first scope segment of a sparse tag (see [`KeyBuilder::sparse_tag`]).
const SPARSE: &str = "~";
/// What follows a sparse tag's namespace marker.
const SPARSE_SCOPE: &str = ":~:";

/// Builds the backend keys of one cache.
#[derive(Debug, Clone)]
pub struct KeyBuilder {
    /// The escaped prefix, followed by `:`.
    head: String,
    /// The cache's default version, in decimal: the first scope segment of
    /// every entry (detail, list, cached query); not of tags, which every
    /// version shares (a write invalidates the entries of each).
    version: String,
    /// A tenant's key segment (`%t` and the escaped name: no escaped
    /// segment begins so) and its tag, for a tenant's view of the cache
    /// ([`KeyBuilder::for_tenant`]).
    tenant: Option<(String, String)>,
}

impl KeyBuilder {
    /// A builder for keys under `prefix` (Django's `KEY_PREFIX`), at the
    /// default version (1).
    pub fn new(prefix: &str) -> Self {
        Self::versioned(prefix, 1)
    }

    /// A builder for keys under `prefix` whose entries are at `version`
    /// (the cache's `version` option, Django's `VERSION`).
    pub(crate) fn versioned(prefix: &str, version: u64) -> Self {
        let mut head = String::with_capacity(prefix.len() + 1);
        escape_into(&mut head, prefix, Segment::Scope);
        head.push(':');
        KeyBuilder {
            head,
            version: version.to_string(),
            tenant: None,
        }
    }

    /// The keys of tenant `tenant`'s view of this cache: every key but the
    /// tags' holds the tenant's segment, so no key of one tenant is
    /// another's or the cache's own; tags are shared (a write invalidates
    /// every tenant's entries). Its entries depend on [`KeyBuilder::tenant_tag`]
    /// too, whose bump flushes them.
    pub fn for_tenant(&self, tenant: &str) -> KeyBuilder {
        let mut segment = String::from("%t");
        escape_into(&mut segment, tenant, Segment::Scope);
        if segment.len() > MAX_SEGMENT_LEN {
            segment.truncate(2);
            push_hash(&mut segment, tenant);
        }
        let tag = self.build(Namespace::Tag, &["tenant"], tenant);
        KeyBuilder {
            tenant: Some((segment, tag)),
            ..self.clone()
        }
    }

    /// The tag every entry of a tenant's view depends on, if this builder
    /// is one ([`KeyBuilder::for_tenant`]).
    pub fn tenant_tag(&self) -> Option<&str> {
        self.tenant.as_ref().map(|(_, tag)| tag.as_str())
    }

    /// The backend key for `name` in namespace `ns`, under the trusted-or-not
    /// `scope` segments (model key, schema hash, version...).
    pub fn build(&self, ns: Namespace, scope: &[&str], name: &str) -> String {
        self.scope(ns, scope).key(name)
    }

    /// The fixed part of a family of keys, escaped once: callers that build
    /// many keys under one scope (a model's detail keys) keep it.
    pub fn scope(&self, ns: Namespace, scope: &[&str]) -> KeyScope {
        let mut head = String::with_capacity(self.head.len() + 2 + scope.len() * 17);
        head.push_str(&self.head);
        head.push_str(ns.marker());
        head.push(':');
        if let Some((segment, _)) = self.tenant.as_ref().filter(|_| ns != Namespace::Tag) {
            head.push_str(segment);
            head.push(':');
        }
        if matches!(ns, Namespace::Detail | Namespace::List | Namespace::Query) {
            head.push_str(&self.version);
            head.push(':');
        }
        for segment in scope {
            let start = head.len();
            escape_into(&mut head, segment, Segment::Scope);
            if head.len() - start > MAX_SEGMENT_LEN {
                head.truncate(start);
                push_hash(&mut head, segment);
            }
            head.push(':');
        }
        // (It ends in `:`, the last: the store's hash of a key splits there.)
        KeyScope {
            head,
            head_hash: OnceLock::new(),
        }
    }

    /// The key of a *sparse* tag under `scope`: one of a family too large
    /// to keep every member of (a tag per value a column ever held). A
    /// bump gives it a new version only where it exists, keeping its
    /// lifetime; readers create it as any tag. (Its scope begins with
    /// [`SPARSE`].)
    pub fn sparse_tag(&self, scope: &[&str], name: &str) -> String {
        let mut full = Vec::with_capacity(scope.len() + 1);
        full.push(SPARSE);
        full.extend_from_slice(scope);
        self.build(Namespace::Tag, &full, name)
    }

    /// Whether `key` is a [`KeyBuilder::sparse_tag`] of this builder.
    pub(crate) fn is_sparse_tag(&self, key: &str) -> bool {
        key.strip_prefix(self.head.as_str())
            .and_then(|rest| rest.strip_prefix(Namespace::Tag.marker()))
            .is_some_and(|rest| rest.starts_with(SPARSE_SCOPE))
    }

    /// What every key of namespace `ns` starts with.
    pub(crate) fn namespace_head(&self, ns: Namespace) -> String {
        format!("{}{}:", self.head, ns.marker())
    }

    /// The backend key of a low-level API key at `version`.
    pub fn user_key(&self, name: &str, version: u64) -> String {
        self.build(Namespace::User, &[&version.to_string()], name)
    }

    /// What every key of this cache starts with (and no key of a cache
    /// with another prefix does): its namespace, as [`Backend::clear`]
    /// takes it.
    ///
    /// [`Backend::clear`]: crate::Backend::clear
    pub fn namespace_prefix(&self) -> &str {
        &self.head
    }
}

/// Prefix, namespace and scope segments of a family of keys, escaped:
/// [`KeyScope::key`] appends the last segment.
#[derive(Debug, Clone)]
pub struct KeyScope {
    head: String,
    /// What the in-process store makes of `head` (its keys' hash is this
    /// mixed with their name's): a hot path names a key by its parts.
    /// Hashed on first use (a process without an in-process store never
    /// does).
    head_hash: OnceLock<u128>,
}

impl PartialEq for KeyScope {
    fn eq(&self, other: &Self) -> bool {
        self.head == other.head
    }
}

impl Eq for KeyScope {}

/// A key of a [`KeyScope`] in its two parts, the scope and a name written
/// verbatim after it ([`KeyScope::parts`]): what the in-process store
/// finds an entry by without the key's text. Displayed, the key.
#[derive(Debug, Clone, Copy)]
pub struct KeyParts<'a> {
    scope: &'a KeyScope,
    name: &'a str,
}

impl<'a> KeyParts<'a> {
    /// The same name under `scope`, where its key is verbatim there too
    /// (not too long: the name was checked).
    #[inline]
    pub fn under(&self, scope: &'a KeyScope) -> Option<KeyParts<'a>> {
        (scope.head.len() + self.name.len() <= MAX_KEY_LEN).then_some(KeyParts {
            scope,
            name: self.name,
        })
    }

    /// The in-process store's hash of the scope's head.
    pub(crate) fn head_hash(&self) -> u128 {
        *self
            .scope
            .head_hash
            .get_or_init(|| crate::key_hash::key_head_hash(&self.scope.head))
    }

    /// The name: the key after the head (no `:` in it).
    pub(crate) fn name(&self) -> &str {
        self.name
    }
}

impl std::fmt::Display for KeyParts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.scope.head)?;
        f.write_str(self.name)
    }
}

impl KeyScope {
    /// The backend key for `name` (escaped, or hashed when too long).
    pub fn key(&self, name: &str) -> String {
        let mut key = String::with_capacity(self.head.len() + name.len() + 4);
        self.key_into(name, &mut key);
        key
    }

    /// The fixed part of this scope's keys: what [`key`](Self::key) begins
    /// with.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Whether the key of `name` is [`head`](Self::head) and `name` as it
    /// is (nothing in it to escape, not too long to keep, no `:`): what a
    /// hot path may hash in two parts without building the key.
    #[inline]
    fn is_verbatim(&self, name: &str) -> bool {
        let plain = !name
            .bytes()
            .any(|b| matches!(b, b'%' | b'{' | b'}' | b':' | b'#'));
        plain && self.head.len() + name.len() <= MAX_KEY_LEN
    }

    /// The key of `name` in its two parts, where it is
    /// [verbatim](Self::is_verbatim).
    #[inline]
    pub fn parts<'a>(&'a self, name: &'a str) -> Option<KeyParts<'a>> {
        self.is_verbatim(name)
            .then_some(KeyParts { scope: self, name })
    }

    /// [`key`](Self::key), written into `key` (cleared first): a hot path
    /// reuses one buffer rather than allocate a key per read.
    pub fn key_into(&self, name: &str, key: &mut String) {
        key.clear();
        key.push_str(&self.head);
        escape_into(key, name, Segment::Name);
        if key.len() > MAX_KEY_LEN {
            key.truncate(self.head.len());
            push_hash(key, name);
        }
    }
}

/// `#` and the SHA-256 of `raw`, in hex.
fn push_hash(out: &mut String, raw: &str) {
    out.push('#');
    for byte in Sha256::digest(raw.as_bytes()) {
        let _ = write!(out, "{byte:02x}");
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Segment {
    Scope,
    Name,
}

fn escape_into(out: &mut String, raw: &str, segment: Segment) {
    // The common case first, with no byte that is ever escaped.
    if !raw
        .bytes()
        .any(|b| matches!(b, b'%' | b'{' | b'}' | b':' | b'#'))
    {
        out.push_str(raw);
        return;
    }
    let plain = raw.bytes().enumerate().all(|(i, b)| match b {
        b'%' | b'{' | b'}' => false,
        b':' => segment != Segment::Scope,
        b'#' => i != 0,
        _ => true,
    });
    if plain {
        out.push_str(raw);
        return;
    }
    for (i, c) in raw.char_indices() {
        let escape = match c {
            '%' | '{' | '}' => true,
            ':' => segment == Segment::Scope,
            '#' => i == 0,
            _ => false,
        };
        if escape {
            let _ = write!(out, "%{:02X}", c as u32);
        } else {
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A name said verbatim is the key's last part as it is; one with a
    /// byte to escape, or too long, is not (nor, to keep the check one
    /// scan, one with a byte escaped only elsewhere: `:`, a later `#`).
    #[test]
    fn a_verbatim_name_is_the_key_after_its_head() {
        let scope = KeyBuilder::new("app").scope(Namespace::Tag, &["products", "u", "id"]);
        for name in ["7", "-12", "\"caf\u{e9}\"", "\"x\"", ""] {
            assert!(scope.is_verbatim(name), "{name:?}");
            assert_eq!(scope.key(name), format!("{}{name}", scope.head()));
        }
        let long = "x".repeat(MAX_KEY_LEN - scope.head().len() + 1);
        for name in ["#1", "{x}", "50%", long.as_str()] {
            assert!(!scope.is_verbatim(name), "{name:?}");
            assert_ne!(scope.key(name), format!("{}{name}", scope.head()));
        }
        assert!(!scope.is_verbatim("a:b") && !scope.is_verbatim("a#b"));
        // Under a longer scope, a name that fits this one may not.
        let longer = KeyBuilder::new("app").scope(Namespace::Tag, &["products", "u", "long_name"]);
        let fits = "x".repeat(MAX_KEY_LEN - scope.head().len());
        let parts = scope.parts(&fits).expect("fits");
        assert!(parts.under(&longer).is_none());
        let under = scope.parts("7").unwrap().under(&longer).unwrap();
        assert_eq!(under.to_string(), longer.key("7"));
    }

    #[test]
    fn shape_is_prefix_namespace_version_name() {
        let keys = KeyBuilder::new("app");
        assert_eq!(keys.user_key("user:42", 1), "app:k:1:user:42");
        assert_eq!(
            keys.build(Namespace::Detail, &["product", "ab12"], "7"),
            "app:d:1:product:ab12:7"
        );
        let v2 = KeyBuilder::versioned("app", 2);
        assert_eq!(
            v2.build(Namespace::Detail, &["product", "ab12"], "7"),
            "app:d:2:product:ab12:7"
        );
        assert_eq!(v2.build(Namespace::List, &["m"], "f"), "app:l:2:m:f");
        assert_eq!(v2.build(Namespace::Query, &["q"], "a"), "app:q:2:q:a");
        // Tags are shared by every version: a write invalidates each.
        assert_eq!(
            v2.build(Namespace::Tag, &["t"], "x"),
            keys.build(Namespace::Tag, &["t"], "x")
        );
        assert_eq!(
            v2.build(Namespace::Lease, &["refresh"], "k"),
            keys.build(Namespace::Lease, &["refresh"], "k")
        );
    }

    #[test]
    fn awkward_names_never_collide() {
        let keys = KeyBuilder::new("p");
        let long = "x".repeat(10_000);
        let names = [
            "a",
            "a:b",
            "a%3Ab",
            "{a}",
            "%7Ba%7D",
            "#a",
            "%23a",
            "a b",
            "a\nb",
            "ключ",
            "*",
            "",
            long.as_str(),
            &long[1..],
        ];
        let built: HashSet<String> = names.iter().map(|n| keys.user_key(n, 1)).collect();
        assert_eq!(built.len(), names.len());
        for key in &built {
            assert!(key.len() <= MAX_KEY_LEN + 64, "{key}");
            assert!(!key.contains('{') && !key.contains('}'), "{key}");
        }
    }

    #[test]
    fn hashed_name_cannot_equal_an_escaped_name() {
        let keys = KeyBuilder::new("p");
        let long = "y".repeat(400);
        let hashed = keys.user_key(&long, 1);
        let tail = hashed.rsplit(':').next().unwrap().to_string();
        assert!(tail.starts_with('#'));
        assert_ne!(keys.user_key(&tail, 1), hashed);
    }

    #[test]
    fn prefixes_and_namespaces_are_separate() {
        let a = KeyBuilder::new("a");
        let ak = KeyBuilder::new("a:k");
        assert_ne!(a.user_key("1:x", 1), ak.user_key("x", 1));
        assert_ne!(
            a.build(Namespace::List, &["m"], "1"),
            a.build(Namespace::Detail, &["m"], "1")
        );
        assert_ne!(a.user_key("x", 1), a.user_key("x", 2));
    }

    #[test]
    fn a_kept_scope_builds_the_same_keys() {
        let keys = KeyBuilder::new("p:x");
        let scope = keys.scope(Namespace::Detail, &["m{1}", "a:b"]);
        let long = "z".repeat(300);
        for name in ["7", "#7", "a:b%", long.as_str()] {
            assert_eq!(
                scope.key(name),
                keys.build(Namespace::Detail, &["m{1}", "a:b"], name)
            );
        }
        assert_eq!(scope.key("#7"), "p%3Ax:d:1:m%7B1%7D:a%3Ab:%237");
    }

    #[test]
    fn long_scope_segments_are_hashed_and_never_collide() {
        let keys = KeyBuilder::new("p");
        let long = "s".repeat(10_000);
        let key = keys.build(Namespace::List, &["m", &long], "f");
        assert!(key.len() <= MAX_KEY_LEN, "{} bytes", key.len());
        let other = keys.build(Namespace::List, &["m", &long[1..]], "f");
        assert_ne!(key, other);
        // A segment that spells the hashed form of another is escaped, not equal.
        let hashed = key.split(':').nth(4).unwrap().to_owned();
        assert!(hashed.starts_with('#'));
        assert_ne!(keys.build(Namespace::List, &["m", &hashed], "f"), key);
        let short = "t".repeat(MAX_SEGMENT_LEN);
        assert!(
            keys.build(Namespace::List, &["m", &short], "f")
                .contains(&short)
        );
    }

    #[test]
    fn a_tenants_keys_are_its_own_and_its_tags_are_shared() {
        let base = KeyBuilder::new("app");
        let (a, b) = (base.for_tenant("a"), base.for_tenant("b"));
        for ns in [
            Namespace::User,
            Namespace::Detail,
            Namespace::List,
            Namespace::Query,
            Namespace::Lease,
        ] {
            let keys = [&base, &a, &b].map(|k| k.build(ns, &["m"], "1"));
            let unique: HashSet<&String> = keys.iter().collect();
            assert_eq!(unique.len(), 3, "{keys:?}");
        }
        // Not even a crafted name or scope reaches a tenant's keys.
        assert_ne!(
            base.build(Namespace::Detail, &["%ta"], "1"),
            a.build(Namespace::Detail, &[], "1")
        );
        assert_ne!(base.user_key("%ta:x", 1), a.user_key("x", 1));
        assert_eq!(
            base.build(Namespace::Tag, &["t"], "x"),
            a.build(Namespace::Tag, &["t"], "x")
        );
        assert_eq!(base.tenant_tag(), None);
        assert_ne!(a.tenant_tag(), b.tenant_tag());
        assert_eq!(a.tenant_tag(), base.for_tenant("a").tenant_tag());
        let long = "x".repeat(300);
        assert!(
            base.for_tenant(&long)
                .build(Namespace::Detail, &[], "1")
                .len()
                < 200
        );
    }

    #[test]
    fn the_namespace_prefix_is_the_escaped_prefix() {
        assert_eq!(KeyBuilder::new("a*b[").namespace_prefix(), "a*b[:");
    }
}
