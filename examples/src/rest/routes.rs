//! The HTTP API: the router and its handlers, over a [`Store`] (the sync
//! API on tokio's blocking threads, or the async API on diesel-async);
//! errors are answered as JSON.

use super::error::ApiError;
use super::list::{ListParams, cursor};
use super::models::{Author, BookChanges, BookOut, NewAuthor, NewBook};
use super::store::{Stats, Store};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use cache_diesel::Rows;
use serde::Serialize;
use std::sync::Arc;

/// The state every handler shares.
type Shared = Arc<dyn Store>;

/// The service's routes over `store`:
///
/// | route | |
/// |---|---|
/// | `GET /authors`, `POST /authors` | list, create |
/// | `GET /books` | a page of books: `?author_id=&order=&limit=&offset=&after=` |
/// | `POST /books` | create: 201 and the row |
/// | `GET /books/{id}` | the book and its author, or 404 |
/// | `PATCH /books/{id}` | change some fields: the row, 404, or 422 for `{}` |
/// | `DELETE /books/{id}` | 204, or 404 |
/// | `GET /stats` | statements run and the managers' counters |
pub fn router(store: Shared) -> Router {
    Router::new()
        .route("/authors", get(list_authors).post(create_author))
        .route("/books", get(list_books).post(create_book))
        .route(
            "/books/{id}",
            get(get_book).patch(update_book).delete(delete_book),
        )
        .route("/stats", get(stats))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .with_state(store)
}

fn no_book(id: i32) -> ApiError {
    ApiError::not_found(format!("no book {id}"))
}

async fn list_authors(State(store): State<Shared>) -> Result<Json<Rows<Author>>, ApiError> {
    Ok(Json(store.authors().await?))
}

async fn create_author(
    State(store): State<Shared>,
    body: Result<Json<NewAuthor>, JsonRejection>,
) -> Result<(StatusCode, Json<Author>), ApiError> {
    let Json(new) = body?;
    let author = store.create_author(new).await?;
    Ok((StatusCode::CREATED, Json(author)))
}

/// The body of `GET /books`.
#[derive(Debug, Serialize)]
struct BookPage {
    /// How many books the filter selects in all (every page).
    count: i64,
    /// This page.
    results: Vec<BookOut>,
    /// The cursor of the next page (`?after=`), if this one is full.
    next: Option<String>,
}

async fn list_books(
    State(store): State<Shared>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<BookPage>, ApiError> {
    let Query(params) = params?;
    let (page, limit) = (params.filter()?, params.limit()?);
    let (rows, count) = store.books(page).await?;
    let next = match rows.last() {
        Some(last) if rows.len() == limit as usize => Some(cursor(last)),
        _ => None,
    };
    Ok(Json(BookPage {
        count,
        results: rows.into_iter().map(BookOut::from).collect(),
        next,
    }))
}

async fn get_book(
    State(store): State<Shared>,
    id: Result<Path<i32>, PathRejection>,
) -> Result<Json<BookOut>, ApiError> {
    let Path(id) = id?;
    let book = store.book(id).await?;
    Ok(Json(book.ok_or_else(|| no_book(id))?.into()))
}

async fn create_book(
    State(store): State<Shared>,
    body: Result<Json<NewBook>, JsonRejection>,
) -> Result<(StatusCode, Json<BookOut>), ApiError> {
    let Json(new) = body?;
    let book = store.create_book(new).await?;
    Ok((StatusCode::CREATED, Json(book.into())))
}

async fn update_book(
    State(store): State<Shared>,
    id: Result<Path<i32>, PathRejection>,
    body: Result<Json<BookChanges>, JsonRejection>,
) -> Result<Json<BookOut>, ApiError> {
    let (Path(id), Json(changes)) = (id?, body?);
    let book = store.update_book(id, changes).await?;
    Ok(Json(book.ok_or_else(|| no_book(id))?.into()))
}

async fn delete_book(
    State(store): State<Shared>,
    id: Result<Path<i32>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id?;
    match store.delete_book(id).await? {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(no_book(id)),
    }
}

async fn stats(State(store): State<Shared>) -> Json<Stats> {
    Json(store.stats())
}
