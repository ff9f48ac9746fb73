// A column listed twice, and filter columns whose builders would clash:
// every error at once, and the model's items still exist (stubs).
use serde::{Deserialize, Serialize};

diesel::table! { items (id) { id -> Integer, slug -> Text, tag -> Text, tag_in -> Text, default -> Integer, } }

#[derive(Debug, Clone, Serialize, Deserialize, cache_diesel::Cached)]
#[diesel(table_name = items)]
#[cache(unique(slug, slug), filter(tag, tag_in, default, tag), order_by(slug, slug))]
pub struct Item {
    pub id: i32,
    pub slug: String,
    pub tag: String,
    pub tag_in: String,
    pub default: i32,
}

fn main() {
    let _ = ItemFilter::default().tag("a".into()).tag_in(["b".to_owned()]);
    let _ = ItemOrder::SlugDesc;
}
