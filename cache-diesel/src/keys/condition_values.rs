//! The value keys a condition selects, as the value tags of a list name
//! them. (Whether a model's writes can name every value tag a list of its
//! table depends on: `keys::declared`.) Generated code calls these.

use crate::keys::filter::{FilterOp, value_key};
use serde::Serialize;

/// The keys of the values a condition selects (one per value of an `IN`).
#[doc(hidden)]
pub fn op_value_keys<T: Serialize>(op: &FilterOp<T>) -> Vec<String> {
    match op {
        FilterOp::Eq(v) => vec![value_key(v)],
        FilterOp::In(vs) => vs.iter().map(value_key).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_name_each_value() {
        assert_eq!(op_value_keys(&FilterOp::Eq(3)), vec!["3"]);
        assert_eq!(
            op_value_keys(&FilterOp::In(vec!["a", "b"])),
            vec!["\"a\"", "\"b\""]
        );
    }
}
