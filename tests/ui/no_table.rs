#[derive(cache_diesel::Cached)]
pub struct Item {
    pub id: i32,
}

fn main() {}
