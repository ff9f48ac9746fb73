// A typo in #[cache(..)] is the only error: the model's manager, filter,
// unique enum, lookups and record still exist, so the code using them adds
// no errors of its own.
use cache_diesel::Cached;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { products (id) { id -> Integer, slug -> Text, is_active -> Bool, author_id -> Integer, } }
diesel::joinable!(products -> authors (author_id));
diesel::allow_tables_to_appear_in_same_query!(products, authors);

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize, Deserialize, Cached)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, Cached)]
#[diesel(table_name = products)]
#[cache(unique(slug), filter(is_active), detial_timeout = 60)]
pub struct Product {
    pub id: i32,
    pub slug: String,
    pub is_active: bool,
    pub author_id: i32,
}

#[derive(
    Debug, Clone, Queryable, Selectable, Identifiable, Associations, Serialize, Deserialize, Cached,
)]
#[diesel(table_name = products, belongs_to(Author))]
#[cache(select_related(author), unique(slug), list_timout = 10)]
pub struct Listing {
    pub id: i32,
    pub slug: String,
    pub is_active: bool,
    pub author_id: i32,
}

fn main() -> Result<(), cache_diesel::Error> {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    let product: Product = Product::cache().get(&mut conn, 1)?;
    let by_slug: Option<Product> = Product::cache().find_by_slug(&mut conn, "tea".into())?;
    let active: cache_diesel::Rows<Product> =
        Product::cache().all(&mut conn, None, ProductFilter::default().is_active(true))?;
    let key = ProductUnique::Id(1);
    Product::cache().update(&mut conn, product.id, products::slug.eq("green-tea"))?;

    let listing: ListingRecord = Listing::cache().get_by_slug(&mut conn, "tea".into())?;
    let author: &str = &listing.author.name;
    let _ = (by_slug, active, key, author, listing.slug.len());
    Ok(())
}
