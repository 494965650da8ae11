//! The public visitor API (`/api/v1`): what the bubble — or any client a customer builds —
//! uses. JSON in and out, bearer visitor tokens, CORS limited to the configured site origins,
//! a 16 KiB body limit, and errors as `{"error": {"code", "message"}}`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, AUTHORIZATION, ORIGIN, VARY,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::api::{NewVisitor, PageView, PostMessage, StartChat, Typing, WidgetConfig};
use domain::visitor::{AcceptInvitation, Invitation};
use domain::{ChatId, ErrorCode, InvitationId};
use engine::store::VisitorRecord;
use engine::stream::Audience;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{ApiError, AppState, sse};

/// Largest request body accepted by the visitor API.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn routes(state: AppState) -> axum::Router<AppState> {
    Router::new()
        .route("/widget/config", get(widget_config))
        .route("/visitors", post(create_visitor))
        .route("/visitor", get(visitor))
        .route("/visitor/chats", post(start_chat))
        .route("/visitor/chats/{chat_id}/messages", post(post_message))
        .route("/visitor/chats/{chat_id}/end", post(end_chat))
        .route("/visitor/chats/{chat_id}/typing", post(typing))
        .route("/visitor/chats/{chat_id}/rating", post(rate_chat))
        .route("/visitor/chats/{chat_id}/seen", post(seen))
        .route("/visitor/chats/{chat_id}/call/signal", post(call_signal))
        .route("/visitor/chats/{chat_id}/call/end", post(end_call))
        .route("/visitor/chats/{chat_id}/transcript", get(transcript))
        .route(
            "/visitor/chats/{chat_id}/transcript/email",
            post(email_transcript),
        )
        .route("/visitor/page", post(page_view))
        .route("/visitor/invitation", get(open_invitation))
        .route(
            "/visitor/invitations/{invitation_id}/seen",
            post(invitation_seen),
        )
        .route(
            "/visitor/invitations/{invitation_id}/decline",
            post(decline_invitation),
        )
        .route(
            "/visitor/invitations/{invitation_id}/accept",
            post(accept_invitation),
        )
        .route("/visitor/messages", post(leave_message))
        .route("/visitor/events", get(events))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "No such API endpoint.") })
        .method_not_allowed_fallback(crate::pages::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::limits::visitor_limits,
        ))
        // Outside the limits, so a refused page can read its 429.
        .layer(axum::middleware::from_fn_with_state(state, cors))
}

/// JSON body whose rejections are answered in the API's error format.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("Request bodies are limited to {MAX_BODY_BYTES} bytes."),
                ))
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                ErrorCode::BadRequest,
                "Send JSON with Content-Type: application/json.",
            )),
            Err(rejection) => Err(ApiError::new(ErrorCode::BadRequest, rejection.body_text())),
        }
    }
}

/// The credential of an `Authorization: Bearer …` header, if the request has one.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The visitor behind the request's bearer token.
pub struct Visitor(pub VisitorRecord);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "Send the visitor token as a Bearer token.",
            )
        })?;
        Ok(Self(state.engine.authenticate_visitor(token).await?))
    }
}

/// An invitation id from the path; anything unparsable is simply no such invitation.
pub struct InvitationPath(pub InvitationId);

impl<S: Send + Sync> FromRequestParts<S> for InvitationPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::NotFound, "No such invitation."))?;
        raw.parse()
            .map(Self)
            .map_err(|_| ApiError::new(ErrorCode::NotFound, "No such invitation."))
    }
}

/// A chat id from the path; anything unparsable is simply no such chat.
pub struct ChatPath(pub ChatId);

impl<S: Send + Sync> FromRequestParts<S> for ChatPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(ErrorCode::ChatNotFound, "No such chat."))?;
        raw.parse()
            .map(Self)
            .map_err(|_| ApiError::new(ErrorCode::ChatNotFound, "No such chat."))
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/widget/config",
    tag = "visitor",
    responses(
        (status = 200, description = "The bubble's public settings", body = WidgetConfig),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn widget_config(
    State(state): State<AppState>,
) -> Result<Json<WidgetConfig>, ApiError> {
    let mut config = state.engine.widget_config().await?;
    config.assets = state.site.version("widget").map(str::to_owned);
    Ok(Json(config))
}

#[utoipa::path(
    post,
    path = "/api/v1/visitors",
    tag = "visitor",
    request_body = NewVisitor,
    responses(
        (status = 201, description = "A new visitor and their token (shown once)", body = domain::api::VisitorCreated),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn create_visitor(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiJson(input): ApiJson<NewVisitor>,
) -> Result<Response, ApiError> {
    let user_agent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|ua| ua.to_str().ok())
        .map(str::to_owned);
    let created = state.engine.create_visitor(input, user_agent).await?;
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/visitor",
    tag = "visitor",
    security(("visitor_token" = [])),
    responses(
        (status = 200, description = "The visitor and their latest chat", body = domain::api::VisitorView),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn visitor(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
) -> Result<Response, ApiError> {
    Ok(Json(state.engine.visitor_view(&visitor).await?).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats",
    tag = "visitor",
    security(("visitor_token" = [])),
    request_body = StartChat,
    responses(
        (status = 201, description = "The chat, waiting for an operator", body = domain::api::VisitorChat),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn start_chat(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ApiJson(input): ApiJson<StartChat>,
) -> Result<Response, ApiError> {
    let chat = state.engine.start_chat(&visitor, input).await?;
    Ok((StatusCode::CREATED, Json(chat)).into_response())
}

/// The answer to "Leave a message".
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct LeftMessage {
    /// The follow-up it became.
    pub id: domain::TicketId,
}

/// "Leave a message" while live chat is not offered (V11).
#[utoipa::path(
    post,
    path = "/api/v1/visitor/messages",
    tag = "visitor",
    security(("visitor_token" = [])),
    request_body = domain::followup::OfflineMessage,
    responses(
        (status = 201, description = "Kept as a follow-up: `{\"id\"}`", body = LeftMessage),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn leave_message(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ApiJson(input): ApiJson<domain::followup::OfflineMessage>,
) -> Result<Response, ApiError> {
    let follow_up = state.engine.leave_message(&visitor, input).await?;
    Ok((StatusCode::CREATED, Json(LeftMessage { id: follow_up.id })).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/messages",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = PostMessage,
    responses(
        (status = 200, description = "The message event", body = domain::ChatEvent),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn post_message(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
    ApiJson(input): ApiJson<PostMessage>,
) -> Result<Response, ApiError> {
    let event = state.engine.visitor_post(&visitor, chat, input).await?;
    Ok(Json(event).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/end",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    responses(
        (status = 204, description = "The visitor's part ended"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn end_chat(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
) -> Result<StatusCode, ApiError> {
    state.engine.visitor_end(&visitor, chat).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rates a chat that is over for the visitor (V12): once, 1–5 stars and a comment.
#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/rating",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = domain::rating::RateChat,
    responses(
        (status = 201, description = "The rating event", body = domain::ChatEvent),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn rate_chat(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
    ApiJson(input): ApiJson<domain::rating::RateChat>,
) -> Result<Response, ApiError> {
    let event = state.engine.visitor_rate(&visitor, chat, &input).await?;
    Ok((StatusCode::CREATED, Json(event)).into_response())
}

/// The chat's transcript as the visitor may read it, as a UTF-8 text file (V10).
#[utoipa::path(
    get,
    path = "/api/v1/visitor/chats/{chat_id}/transcript",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    responses(
        (status = 200, description = "The transcript", content_type = "text/plain", body = String),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn transcript(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
) -> Result<Response, ApiError> {
    let transcript = state.engine.visitor_transcript(&visitor, chat).await?;
    Ok(text_file(
        &transcript.file_name("txt"),
        transcript.to_text("Chat transcript"),
    ))
}

/// A UTF-8 text download that no cache keeps.
pub(crate) fn text_file(name: &str, text: String) -> Response {
    download(name, "text/plain; charset=utf-8", text.into_bytes())
}

/// A file to save (a transcript as text or PDF), never cached.
pub(crate) fn download(name: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static(content_type),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// Where a transcript was sent.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TranscriptQueued {
    /// The address it goes to.
    pub email: String,
}

/// Mails the chat's transcript to the visitor (V10): to the address given, or the one they
/// gave before. Queued at once; it leaves within seconds, retried while the mail server is out
/// of reach.
#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/transcript/email",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = domain::mail::EmailTranscript,
    responses(
        (status = 202, description = "Queued: `{\"email\"}`", body = TranscriptQueued),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn email_transcript(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
    ApiJson(input): ApiJson<domain::mail::EmailTranscript>,
) -> Result<Response, ApiError> {
    let email = state
        .engine
        .email_transcript(&visitor, chat, &input)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(TranscriptQueued { email })).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/typing",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = Typing,
    responses(
        (status = 204, description = "Told to the operators"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn typing(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
    ApiJson(input): ApiJson<Typing>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .visitor_typing(&visitor, chat, input.active)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/seen",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = domain::api::Seen,
    responses(
        (status = 204, description = "Kept, and told to the operators when it moved forward"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn seen(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
    ApiJson(input): ApiJson<domain::api::Seen>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .visitor_seen(&visitor, chat, input.up_to)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How the visitor ends a call.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub(crate) struct EndCall {
    /// Declined while it rang (else hung up).
    #[serde(default)]
    declined: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/call/signal",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = domain::call::CallSignal,
    responses(
        (status = 204, description = "Relayed to the operator who called, and nobody else"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn call_signal(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
    ApiJson(signal): ApiJson<domain::call::CallSignal>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .visitor_call_signal(&visitor, chat, signal)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/chats/{chat_id}/call/end",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = EndCall,
    responses(
        (status = 204, description = "Ended; the chat records its length"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn end_call(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ChatPath(chat): ChatPath,
    ApiJson(input): ApiJson<EndCall>,
) -> Result<StatusCode, ApiError> {
    state
        .engine
        .visitor_end_call(&visitor, chat, input.declined)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/page",
    tag = "visitor",
    security(("visitor_token" = [])),
    request_body = PageView,
    responses(
        (status = 204, description = "Recorded"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn page_view(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ApiJson(input): ApiJson<PageView>,
) -> Result<StatusCode, ApiError> {
    state.engine.visitor_page(&visitor, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/v1/visitor/invitation",
    tag = "visitor",
    security(("visitor_token" = [])),
    responses(
        (status = 200, description = "The invitation the visitor has not answered yet", body = Invitation),
        (status = 204, description = "None open"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn open_invitation(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
) -> Result<Response, ApiError> {
    Ok(match state.engine.open_invitation(&visitor).await? {
        Some(invitation) => Json(invitation).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/invitations/{invitation_id}/seen",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("invitation_id" = String, Path, description = "The invitation")),
    responses(
        (status = 204, description = "The inviting operator is told"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn invitation_seen(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    InvitationPath(id): InvitationPath,
) -> Result<StatusCode, ApiError> {
    state.engine.invitation_seen(&visitor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/invitations/{invitation_id}/decline",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("invitation_id" = String, Path, description = "The invitation")),
    responses(
        (status = 204, description = "Closed; the inviting operator is told"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn decline_invitation(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    InvitationPath(id): InvitationPath,
) -> Result<StatusCode, ApiError> {
    state.engine.decline_invitation(&visitor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/visitor/invitations/{invitation_id}/accept",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("invitation_id" = String, Path, description = "The invitation")),
    request_body = AcceptInvitation,
    responses(
        (status = 201, description = "The chat, with the inviting operator already in it", body = domain::api::VisitorChat),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn accept_invitation(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    InvitationPath(id): InvitationPath,
    ApiJson(input): ApiJson<AcceptInvitation>,
) -> Result<Response, ApiError> {
    let chat = state.engine.accept_invitation(&visitor, id, input).await?;
    Ok((StatusCode::CREATED, Json(chat)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct StreamQuery {
    last_event_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/visitor/events",
    tag = "visitor",
    security(("visitor_token" = [])),
    params(("last_event_id" = Option<i64>, Query, description = "Resume after this event (or the Last-Event-ID header)")),
    responses(
        (status = 200, description = "Server-Sent Events of the visitor's chat", content_type = "text/event-stream", body = String),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn events(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    Query(query): Query<StreamQuery>,
    request: Request,
) -> Result<Response, ApiError> {
    let after = sse::start_after(
        &state.engine,
        request.headers(),
        query.last_event_id.as_deref(),
    )
    .await?;
    let events = state
        .engine
        .open_stream(Audience::Visitor(visitor.id), after);
    Ok(sse::respond(
        events,
        true,
        state.shutdown.subscribe(),
        state.metrics.clone(),
    )
    .into_response())
}

/// Lets the configured customer sites (and the server's own pages) call the API from a
/// browser; refuses every other origin.
async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let own = crate::front::request_origin(&request) == Some(origin.as_str());
    let allowed = own
        || state
            .settings
            .allowed_origins
            .iter()
            .any(|allowed| allowed == "*" || allowed.trim_end_matches('/') == origin);
    if !allowed {
        let mut refused = ApiError::new(
            ErrorCode::OriginNotAllowed,
            "This site is not allowed to use the chat.",
        )
        .into_response();
        // The refused page may read the refusal (and nothing else): its loader then draws
        // nothing and tells the site's developer why, instead of failing as if offline.
        if let Ok(value) = HeaderValue::from_str(&origin) {
            refused
                .headers_mut()
                .insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
        refused
            .headers_mut()
            .append(VARY, HeaderValue::from_static("Origin"));
        return refused;
    }
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&origin) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
    headers.append(VARY, HeaderValue::from_static("Origin"));
    if preflight {
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Authorization, Content-Type, Last-Event-ID"),
        );
        headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    }
    response
}
