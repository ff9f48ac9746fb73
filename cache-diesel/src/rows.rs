//! [`Rows`]: what a list read returns, shared with the cache.

use crate::form::{CacheForm, FormError, FormReader, FormWriter};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The rows (or records) of a list read: a slice shared with the in-process
/// cache, so that a hit of 1,000 rows hands out a pointer, not 1,000 copies.
///
/// It derefs to `[R]` (`rows.len()`, `rows.iter()`, `&rows[0]`, `for r in
/// &rows`), serializes as a sequence, and compares with a `Vec`, an array
/// or a slice. Owned rows come from [`Rows::into_vec`] or `into_iter()`,
/// and [`Rows::to_mut`] changes them in place (`rows.to_mut().sort()`):
/// each copies the rows only if the cache still shares them.
///
/// ```
/// use cache_diesel::Rows;
/// let rows = Rows::from(vec!["a".to_string(), "b".to_string()]);
/// let shared = rows.clone(); // a pointer, not a copy of the rows
/// assert_eq!(shared.len(), 2);
/// assert_eq!(rows, vec!["a".to_string(), "b".to_string()]);
/// let owned: Vec<String> = shared.into_iter().map(|s| s + "!").collect();
/// assert_eq!(owned, ["a!", "b!"]);
/// ```
pub struct Rows<R>(Arc<Vec<R>>);

impl<R> Rows<R> {
    /// The rows, owned: moved out when this is the only handle, copied
    /// when the cache (or another clone) still shares them.
    pub fn into_vec(self) -> Vec<R>
    where
        R: Clone,
    {
        match Arc::try_unwrap(self.0) {
            Ok(rows) => rows,
            Err(shared) => shared.to_vec(),
        }
    }

    /// The rows as a slice.
    pub fn as_slice(&self) -> &[R] {
        &self.0
    }

    /// The rows, to change in place (sort, retain, push): copied first if
    /// the cache (or another clone) still shares them.
    pub fn to_mut(&mut self) -> &mut Vec<R>
    where
        R: Clone,
    {
        Arc::make_mut(&mut self.0)
    }
}

impl<R> std::borrow::Borrow<[R]> for Rows<R> {
    fn borrow(&self) -> &[R] {
        &self.0
    }
}

impl<R: std::hash::Hash> std::hash::Hash for Rows<R> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0[..].hash(state);
    }
}

impl<R: PartialEq, const N: usize> PartialEq<[R; N]> for Rows<R> {
    fn eq(&self, other: &[R; N]) -> bool {
        self.0[..] == other[..]
    }
}

impl<R: PartialEq> PartialEq<&[R]> for Rows<R> {
    fn eq(&self, other: &&[R]) -> bool {
        self.0[..] == **other
    }
}

impl<R: Clone> From<&[R]> for Rows<R> {
    fn from(rows: &[R]) -> Self {
        Rows::from(rows.to_vec())
    }
}

impl<R> Clone for Rows<R> {
    fn clone(&self) -> Self {
        Rows(self.0.clone())
    }
}

impl<R> Default for Rows<R> {
    fn default() -> Self {
        Rows(Arc::default())
    }
}

impl<R> Deref for Rows<R> {
    type Target = [R];
    fn deref(&self) -> &[R] {
        &self.0
    }
}

impl<R> AsRef<[R]> for Rows<R> {
    fn as_ref(&self) -> &[R] {
        &self.0
    }
}

impl<R> From<Vec<R>> for Rows<R> {
    fn from(rows: Vec<R>) -> Self {
        Rows(Arc::new(rows))
    }
}

impl<R> FromIterator<R> for Rows<R> {
    fn from_iter<I: IntoIterator<Item = R>>(iter: I) -> Self {
        Rows(Arc::new(iter.into_iter().collect()))
    }
}

impl<R: Clone> From<Rows<R>> for Vec<R> {
    fn from(rows: Rows<R>) -> Self {
        rows.into_vec()
    }
}

impl<R: Clone> IntoIterator for Rows<R> {
    type Item = R;
    type IntoIter = std::vec::IntoIter<R>;
    fn into_iter(self) -> Self::IntoIter {
        self.into_vec().into_iter()
    }
}

impl<'a, R> IntoIterator for &'a Rows<R> {
    type Item = &'a R;
    type IntoIter = std::slice::Iter<'a, R>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<R: fmt::Debug> fmt::Debug for Rows<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl<R: PartialEq> PartialEq for Rows<R> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<R: Eq> Eq for Rows<R> {}

impl<R: PartialEq> PartialEq<Vec<R>> for Rows<R> {
    fn eq(&self, other: &Vec<R>) -> bool {
        *self.0 == *other
    }
}

impl<R: PartialEq> PartialEq<Rows<R>> for Vec<R> {
    fn eq(&self, other: &Rows<R>) -> bool {
        *self == *other.0
    }
}

impl<R: PartialEq> PartialEq<[R]> for Rows<R> {
    fn eq(&self, other: &[R]) -> bool {
        self.0[..] == *other
    }
}

impl<R: Serialize> Serialize for Rows<R> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

impl<'de, R: Deserialize<'de>> Deserialize<'de> for Rows<R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<R>::deserialize(deserializer).map(Rows::from)
    }
}

/// Cached as a `Vec` is.
impl<R: CacheForm> CacheForm for Rows<R> {
    fn write_form(&self, w: &mut FormWriter<'_>) -> Result<(), FormError> {
        crate::form::write_seq(&self.0, w)
    }

    fn read_form(r: &mut FormReader<'_>) -> Result<Self, FormError> {
        Vec::<R>::read_form(r).map(Rows::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clone_shares_and_into_vec_moves_when_alone() {
        let rows = Rows::from(vec![String::from("a")]);
        let ptr = rows[0].as_ptr();
        let shared = rows.clone();
        assert_eq!(shared.as_slice().as_ptr(), rows.as_slice().as_ptr());
        let copied = shared.into_vec();
        assert_ne!(copied[0].as_ptr(), ptr, "still shared: copied");
        let moved = rows.into_vec();
        assert_eq!(moved[0].as_ptr(), ptr, "alone: moved, not copied");
    }

    #[test]
    fn changing_shared_rows_copies_them_first() {
        let mut mine = Rows::from(vec![3, 1, 2]);
        let cached = mine.clone();
        mine.to_mut().sort();
        assert_eq!(mine, [1, 2, 3]);
        assert_eq!(cached, [3, 1, 2], "the shared rows are untouched");
        let alone = mine.as_slice().as_ptr();
        mine.to_mut().push(4); // alone now: changed in place (may grow)
        assert_eq!(mine, &[1, 2, 3, 4][..]);
        let grown = mine.as_slice().as_ptr();
        assert_eq!(mine.to_mut().as_ptr(), grown, "no copy while alone");
        assert!(!alone.is_null());
    }

    #[test]
    fn serializes_as_a_sequence() {
        let rows = Rows::from(vec![1, 2]);
        assert_eq!(serde_json::to_string(&rows).unwrap(), "[1,2]");
        let back: Rows<i32> = serde_json::from_str("[1,2]").unwrap();
        assert_eq!(back, rows);
        assert_eq!(vec![1, 2], back);
    }
}
