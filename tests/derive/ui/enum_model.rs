#[derive(cache_diesel::Cached)]
pub enum Item {
    A,
}

fn main() {}
