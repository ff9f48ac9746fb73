//! The unique columns every model of the program declares, by table: what
//! lets one model's hooks invalidate the lookups of another model over the
//! same table by a column it does not declare.
//!
//! A lookup by `code` depends on the tag of its value (`u:code:"a"`),
//! which the hooks of every model declaring `unique(code)` bump with the
//! row's old and new codes. A model over the same table that does not
//! declare it (a lighter view of the row) cannot name those tags: its
//! hooks bump instead the column's wide tag (`u:code:*`, no value key is
//! `*`), on which a lookup by `code` then depends as well. Only where two
//! models over one table declare different unique columns: otherwise
//! neither side has anything to do.

use std::collections::BTreeSet;

/// A model's table (its SQL name) and its unique columns, the primary key
/// first: registered by `#[derive(Cached)]` at link time.
#[doc(hidden)]
pub type Declared = fn() -> (&'static str, &'static [&'static str]);

/// Every model's [`Declared`] in the program.
#[doc(hidden)]
#[linkme::distributed_slice]
pub static DECLARED_UNIQUE: [Declared];

/// For a model over `table` declaring `own`, from every registered model
/// over the same table: the columns it declares that another does not
/// (its lookups by them depend on their wide tags), and those another
/// declares that it does not (its writes bump their wide tags).
pub(crate) fn wide_columns(
    table: &str,
    own: &[&'static str],
) -> (Vec<&'static str>, Vec<&'static str>) {
    let others = DECLARED_UNIQUE
        .iter()
        .map(|declared| declared())
        .filter(|(other, _)| *other == table)
        .map(|(_, columns)| columns);
    wide_among(own, others)
}

/// [`wide_columns`] given the other models' columns.
fn wide_among<'a>(
    own: &[&'static str],
    others: impl Iterator<Item = &'a [&'static str]>,
) -> (Vec<&'static str>, Vec<&'static str>) {
    let (mut depend, mut bump) = (BTreeSet::new(), BTreeSet::new());
    for columns in others {
        depend.extend(own.iter().filter(|c| !columns.contains(c)));
        bump.extend(columns.iter().filter(|c| !own.contains(c)));
    }
    (depend.into_iter().collect(), bump.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_columns_declared_on_one_side_are_wide() {
        let own: &[&str] = &["id", "code"];
        let same: &[&str] = &["id", "code"];
        let lighter: &[&str] = &["id"];
        let other: &[&str] = &["id", "sku"];
        assert_eq!(wide_among(own, [same].into_iter()), (vec![], vec![]));
        assert_eq!(
            wide_among(own, [same, lighter].into_iter()),
            (vec!["code"], vec![])
        );
        assert_eq!(
            wide_among(lighter, [own].into_iter()),
            (vec![], vec!["code"])
        );
        assert_eq!(
            wide_among(own, [lighter, other, other].into_iter()),
            (vec!["code"], vec!["sku"])
        );
    }
}
