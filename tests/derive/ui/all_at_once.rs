use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[cache(detail_timeout = -1, shape = "round", unique(nope), filter(id), version = "2")]
pub struct Item {
    pub id: i32,
}

fn main() {}
