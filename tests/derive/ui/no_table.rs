use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
pub struct Item {
    pub id: i32,
}

fn main() {}
