//! The console's HTTP surface beyond Leptos: its event stream, the status codes of server
//! function errors, and the same-origin rule for everything a session cookie could authorise.

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ORIGIN, RETRY_AFTER,
    STRICT_TRANSPORT_SECURITY, X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::ErrorCode;
use serde::Deserialize;

use crate::{ApiError, AppState, CspNonce, sse};

/// Largest server-function error body read back to find its status.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/console/events", get(console_events))
        .route("/api/console/chats/{chat_id}/transcript", get(transcript))
        .route(
            "/api/console/chats/{chat_id}/transcript.pdf",
            get(transcript_pdf),
        )
        .route("/api/console/reports.csv", get(report_csv))
        .route("/api/console/reports/chart.svg", get(report_chart))
        .route(
            "/api/console/visitors/{visitor_id}/export.json",
            get(export_visitor),
        )
}

/// Everything kept about a visitor, as a JSON download (admins; recorded in the action log).
async fn export_visitor(
    State(state): State<AppState>,
    axum::extract::Path(raw): axum::extract::Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, request.headers(), request.extensions()).await?;
    let visitor: domain::VisitorId = raw
        .parse()
        .map_err(|_| ApiError(domain::Error::new(ErrorCode::NotFound, "No such visitor.")))?;
    let export = state.engine.export_visitor(&session, visitor).await?;
    let body = serde_json::to_string_pretty(&export).map_err(|err| {
        tracing::error!(error = %err, "writing a visitor export");
        ApiError(domain::Error::internal())
    })?;
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"visitor-{visitor}.json\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response())
}

/// A report's range and channel in a query string (UTC milliseconds; the channel's id).
#[derive(Deserialize)]
struct ReportParams {
    from: i64,
    to: i64,
    #[serde(default)]
    channel: Option<String>,
}

impl ReportParams {
    fn query(&self) -> Result<domain::report::ReportQuery, ApiError> {
        let channel = match self.channel.as_deref().filter(|c| !c.is_empty()) {
            Some(raw) => Some(
                raw.parse()
                    .map_err(|_| ApiError(domain::Error::invalid("channel", "No such channel.")))?,
            ),
            None => None,
        };
        Ok(domain::report::ReportQuery {
            from: domain::Timestamp(self.from),
            to: domain::Timestamp(self.to),
            channel,
        })
    }
}

/// The report as CSV, one row per operator (supervisors and admins).
async fn report_csv(
    State(state): State<AppState>,
    Query(params): Query<ReportParams>,
    request: Request,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, request.headers(), request.extensions()).await?;
    let query = params.query()?;
    let report = state.engine.report(&session, &query).await?;
    let day = |at: domain::Timestamp| at.utc_text().chars().take(10).collect::<String>();
    let name = format!("report-{}-{}.csv", day(query.from), day(query.to));
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        report.to_csv(),
    )
        .into_response())
}

/// Chats and missed chats per day, as an SVG chart (supervisors and admins).
async fn report_chart(
    State(state): State<AppState>,
    Query(params): Query<ReportParams>,
    request: Request,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, request.headers(), request.extensions()).await?;
    let report = state.engine.report(&session, &params.query()?).await?;
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"))],
        report.chart_svg(),
    )
        .into_response())
}

/// The operator behind the request's session cookie; `unauthorized` without one.
async fn signed_in(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> Result<engine::Session, ApiError> {
    app::api::ssr::cookie_session(
        &state.engine,
        headers,
        extensions,
        state.settings.secure_cookies,
    )
    .await?
    .ok_or_else(|| ApiError(domain::Error::unauthorized()))
}

#[derive(Deserialize)]
struct TranscriptQuery {
    /// Include private notes (`true`); the visitor's view of the conversation otherwise.
    #[serde(default)]
    notes: bool,
}

/// A chat the operator may read, as a UTF-8 text file: from the chat's menu and from history.
async fn transcript(
    State(state): State<AppState>,
    crate::visitor_api::ChatPath(chat): crate::visitor_api::ChatPath,
    Query(query): Query<TranscriptQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, request.headers(), request.extensions()).await?;
    let transcript = state
        .engine
        .operator_transcript(&session, chat, query.notes)
        .await?;
    Ok(crate::visitor_api::text_file(
        &transcript.file_name("txt"),
        transcript.to_text("Chat transcript"),
    ))
}

/// The same as a PDF document (O22), Unicode set in the server's fonts.
async fn transcript_pdf(
    State(state): State<AppState>,
    crate::visitor_api::ChatPath(chat): crate::visitor_api::ChatPath,
    Query(query): Query<TranscriptQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, request.headers(), request.extensions()).await?;
    let (name, bytes) = state
        .engine
        .operator_transcript_pdf(&session, chat, query.notes)
        .await?;
    Ok(crate::visitor_api::download(
        &name,
        "application/pdf",
        bytes,
    ))
}

#[derive(Deserialize)]
struct StreamQuery {
    last_event_id: Option<String>,
    /// Which dashboard changes to carry: `all` (the default), or the ids of the channels the
    /// console lists, comma-separated (chats in no channel always come).
    channels: Option<String>,
}

/// The operator's live stream: the dashboard changes their console lists and the events of
/// their chats.
async fn console_events(
    State(state): State<AppState>,
    Query(query): Query<StreamQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let session = signed_in(&state, request.headers(), request.extensions()).await?;
    // Ends with the session: logout, password change, expiry or a disable.
    sse::operator_stream(
        &state,
        &session,
        query.channels.as_deref(),
        query.last_event_id.as_deref(),
        request.headers(),
    )
    .await
}

/// Whether a path is the console's: its pages, the login and password pages, chat windows,
/// and its calls (server functions and the event stream), but not the visitor API.
fn is_console_path(path: &str) -> bool {
    app::is_console_page(path)
        || path == "/login"
        || path == "/password"
        || (path.starts_with("/api/") && !path.starts_with("/api/v1/"))
}

/// The console's Content-Security-Policy: scripts only from this server or carrying this
/// response's nonce (the hydration script), WebAssembly compiled, nothing framed or framing,
/// (the bubble preview excepted: the console frames its own demo page),
/// no plugins, no `<base>` tricks, forms and connections to this server only.
fn console_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         frame-ancestors 'none'; frame-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'"
    )
}

/// A fresh nonce: 128 random bits, hex.
pub(crate) fn new_nonce() -> String {
    engine::auth::random_bytes::<16>()
        .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect())
        .unwrap_or_else(|_| engine::auth::token_hash(&format!("{:?}", std::time::Instant::now())))
}

/// Headers that keep the console out of caches and frames and its pages to their own
/// scripts: what an operator saw is never stored by a browser or proxy for the next person
/// at that machine, no other site can frame the console to trick a click, and injected
/// markup cannot run script. Behind TLS (`--secure-cookies`), every answer also asks browsers
/// to keep to HTTPS.
pub async fn protective_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let console = is_console_path(request.uri().path());
    let nonce = console.then(new_nonce);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(CspNonce(nonce.clone()));
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(nonce) = nonce {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        if let Ok(policy) = HeaderValue::from_str(&console_policy(&nonce)) {
            headers.insert(CONTENT_SECURITY_POLICY, policy);
        }
    }
    if state.settings.secure_cookies {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Server functions answer errors as 500 with the error encoded in the body; this sets the
/// status the error's code maps to, so bad input is a 4xx like everywhere else.
pub async fn server_fn_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response
        .headers()
        .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<app::ConsoleError>(&bytes) {
        parts.status = StatusCode::from_u16(err.code().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(seconds) = err.0.retry_after {
            parts.headers.insert(RETRY_AFTER, seconds.into());
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Refuses state-changing console requests from other sites (CSRF). Browsers send
/// `Sec-Fetch-Site` or `Origin` with every cross-site POST; requests without either do not come
/// from a browser page and cannot ride a victim's cookie. The visitor API is exempt: it uses
/// bearer tokens, never cookies, and has its own origin list.
pub async fn same_origin_posts(request: Request, next: Next) -> Response {
    let exempt = request.method() != Method::POST || request.uri().path().starts_with("/api/v1/");
    if exempt {
        return next.run(request).await;
    }
    let headers = request.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match fetch_site {
        Some(site) => site == "same-origin" || site == "none",
        // Scheme, host and port must all match: `https://host` is another origin than
        // `http://host`.
        None => match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
            None => true,
            Some(origin) => crate::front::request_origin(&request) == Some(origin),
        },
    };
    if allowed {
        next.run(request).await
    } else {
        ApiError::new(
            ErrorCode::OriginNotAllowed,
            "This request must come from the console itself.",
        )
        .into_response()
    }
}
