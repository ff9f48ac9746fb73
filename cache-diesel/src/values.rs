//! What precise invalidation needs to know of a model's columns: the value
//! keys a write bumps, and whether the model maps every column of its
//! table (a model that does not cannot name the values its writes replace
//! in the columns it does not map, and so invalidates every filtered list
//! of the table instead). Generated code calls these.

use crate::filter::{FilterOp, value_key};
use serde::Serialize;
use std::marker::PhantomData;

/// The keys of the values a condition selects (one per value of an `IN`).
#[doc(hidden)]
pub fn op_value_keys<T: Serialize>(op: &FilterOp<T>) -> Vec<String> {
    match op {
        FilterOp::Eq(v) => vec![value_key(v)],
        FilterOp::In(vs) => vs.iter().map(value_key).collect(),
    }
}

/// Whether `mapped` (a model's columns) holds every one of `table`'s
/// columns (`None`: the table's columns could not be listed).
#[doc(hidden)]
pub fn maps_every_column(table: Option<Vec<&'static str>>, mapped: &[&'static str]) -> bool {
    table.is_some_and(|table| table.iter().all(|c| mapped.contains(c)))
}

/// The SQL names of a tuple of Diesel columns (a table's `AllColumns`).
#[doc(hidden)]
pub trait ColumnNames {
    /// The names, in order.
    fn names() -> Vec<&'static str>;
}

macro_rules! column_names {
    ($($c:ident),+) => {
        impl<$($c: diesel::Column),+> ColumnNames for ($($c,)+) {
            fn names() -> Vec<&'static str> {
                vec![$($c::NAME),+]
            }
        }
    };
}

macro_rules! every_arity {
    ($first:ident $(, $rest:ident)*) => {
        column_names!($first $(, $rest)*);
        every_arity!($($rest),*);
    };
    () => {};
}

// Diesel's tables have up to 32 columns by default, 64 or 128 with its
// features; a wider table's columns are not listed (see [`TableColumns`]).
every_arity!(
    C64, C63, C62, C61, C60, C59, C58, C57, C56, C55, C54, C53, C52, C51, C50, C49, C48, C47, C46,
    C45, C44, C43, C42, C41, C40, C39, C38, C37, C36, C35, C34, C33, C32, C31, C30, C29, C28, C27,
    C26, C25, C24, C23, C22, C21, C20, C19, C18, C17, C16, C15, C14, C13, C12, C11, C10, C9, C8,
    C7, C6, C5, C4, C3, C2, C1
);

/// Asks for the column names of `T` (a table's `AllColumns`) where they can
/// be listed, without requiring it: `(&Probe::<T>::new()).table_columns()`
/// is `Some` through [`TableColumns`] (on `Probe<T>`, whose `&self` is the
/// receiver's type) when `T: ColumnNames`, else `None` through
/// [`NoTableColumns`] (on `&Probe<T>`, reached only by one more autoref).
#[doc(hidden)]
pub struct Probe<T>(PhantomData<T>);

impl<T> Probe<T> {
    /// A probe of `T`.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Probe(PhantomData)
    }
}

/// See [`Probe`].
#[doc(hidden)]
pub trait TableColumns {
    /// The names of the table's columns.
    fn table_columns(&self) -> Option<Vec<&'static str>>;
}

impl<T: ColumnNames> TableColumns for Probe<T> {
    fn table_columns(&self) -> Option<Vec<&'static str>> {
        Some(T::names())
    }
}

/// See [`Probe`].
#[doc(hidden)]
pub trait NoTableColumns {
    /// Nothing: the columns cannot be listed.
    fn table_columns(&self) -> Option<Vec<&'static str>> {
        None
    }
}

impl<T> NoTableColumns for &Probe<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    diesel::table! {
        wide (id) {
            id -> Integer,
            category_id -> Integer,
            title -> Text,
        }
    }

    #[test]
    // (The borrow is the probe: without it, no fallback.)
    #[allow(clippy::needless_borrow)]
    fn a_tables_columns_are_listed_and_compared() {
        #[allow(unused_imports)]
        use super::{NoTableColumns as _, TableColumns as _};
        let names = (&Probe::<<wide::table as diesel::Table>::AllColumns>::new()).table_columns();
        assert_eq!(names, Some(vec!["id", "category_id", "title"]));
        assert!(maps_every_column(
            names.clone(),
            &["title", "id", "category_id"]
        ));
        assert!(!maps_every_column(names, &["id", "title"]));
        let unknown = (&Probe::<String>::new()).table_columns();
        assert_eq!(unknown, None);
        assert!(!maps_every_column(unknown, &["id"]));
    }

    #[test]
    fn conditions_name_each_value() {
        assert_eq!(op_value_keys(&FilterOp::Eq(3)), vec!["3"]);
        assert_eq!(
            op_value_keys(&FilterOp::In(vec!["a", "b"])),
            vec!["\"a\"", "\"b\""]
        );
    }
}
