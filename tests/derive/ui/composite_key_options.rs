// A composite primary key with the options it does not combine with: each
// is reported where it is written, and the model stays usable.
use cache_diesel::Cached;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { memberships (group_id, user_id) { group_id -> Integer, user_id -> Integer, handle -> Text, } }

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = memberships, primary_key(group_id, user_id))]
#[cache(unique(handle))]
pub struct Membership {
    pub group_id: i32,
    pub user_id: i32,
    pub handle: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = memberships, primary_key(group_id, member_id))]
pub struct Misnamed {
    pub group_id: i32,
    pub user_id: i32,
    pub handle: String,
}

fn main() {
    let _ = Membership::cache();
}
