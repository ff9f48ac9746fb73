//! [`ApiError`]: every failure as a status code and a JSON body
//! `{"error": "..."}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// An HTTP error with a message for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The status code.
    pub status: StatusCode,
    /// What went wrong.
    pub message: String,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400: the request itself is malformed (a bad parameter or cursor).
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404: no such resource.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 422: well-formed, but it cannot be applied (an empty change, an
    /// author that does not exist).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 500, logged: the message is not shown to the client.
    /// 422 for a `PATCH` that changes nothing.
    pub fn nothing_to_change() -> Self {
        Self::unprocessable("nothing to change: give author_id, title or published_year")
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, Json(body)).into_response()
    }
}

impl From<cache_diesel::Error> for ApiError {
    fn from(error: cache_diesel::Error) -> Self {
        match error {
            cache_diesel::Error::NotFound { .. } => Self::not_found(error.to_string()),
            cache_diesel::Error::Database(DieselError::DatabaseError(
                DatabaseErrorKind::ForeignKeyViolation,
                info,
            )) => Self::unprocessable(info.message().to_owned()),
            other => Self::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        tracing::error!(%error, "no database connection");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "no database connection")
    }
}

/// Extractor rejections (a malformed JSON body, query string or path)
/// become JSON errors with the rejection's own status and message.
macro_rules! from_rejection {
    ($($rejection:ty),*) => {$(
        impl From<$rejection> for ApiError {
            fn from(rejection: $rejection) -> Self {
                Self::new(rejection.status(), rejection.body_text())
            }
        }
    )*};
}

from_rejection!(
    axum::extract::rejection::JsonRejection,
    axum::extract::rejection::QueryRejection,
    axum::extract::rejection::PathRejection
);
