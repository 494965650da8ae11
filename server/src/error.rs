//! Errors of plain axum routes: the engine's `domain::Error`, answered as
//! `{"error": {"code", "message"}}` with the status its code maps to.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::error::ErrorBody;

/// A `domain::Error` as an HTTP response.
#[derive(Debug)]
pub struct ApiError(pub domain::Error);

impl From<domain::Error> for ApiError {
    fn from(err: domain::Error) -> Self {
        Self(err)
    }
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: domain::ErrorCode, message: impl Into<String>) -> Self {
        Self(domain::Error::new(code, message))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let retry_after = self.0.retry_after;
        let mut response = (status, Json(ErrorBody { error: self.0 })).into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
