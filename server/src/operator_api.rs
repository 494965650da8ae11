//! The operator API (`/api/v1`, P4): what scripts and integrations use to work as an operator,
//! authenticated by a personal access token sent as `Authorization: Bearer sbp_…`. Every call
//! is one engine service, the very one the console's server function calls, so the rules are
//! the console's. Session cookies are not accepted here: a page on another site could make a
//! browser send them, a token it cannot.

use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use domain::console::{ChatAction, ChatSummary, Me, OnlineVisitor};
use domain::visitor::{Invitation, InviteVisitor};
use domain::{ChatEvent, ChatStatus, ErrorCode, EventId, OfferKind, OperatorId};
use engine::Session;
use serde::Deserialize;

use crate::visitor_api::{ApiJson, ChatPath};
use crate::{ApiError, AppState, ClientAddress, sse};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/me/availability", put(set_availability))
        .route("/chats", get(list_chats))
        .route("/chats/{chat_id}/events", get(chat_events))
        .route("/chats/{chat_id}/accept", post(accept))
        .route("/chats/{chat_id}/messages", post(post_message))
        .route("/chats/{chat_id}/close", post(close))
        .route("/chats/{chat_id}/transfer", post(transfer))
        .route("/chats/{chat_id}/actions", post(action))
        .route("/visitors/online", get(online_visitors))
        .route("/invitations", post(invite_visitor))
        .route("/events", get(events))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .layer(DefaultBodyLimit::max(crate::visitor_api::MAX_BODY_BYTES))
}

/// The operator behind the request's personal access token.
pub struct Operator(pub Session);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = crate::visitor_api::bearer(&parts.headers)
            .filter(|secret| domain::token::is_access_token(secret))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::Unauthorized,
                    "Send a personal access token (sbp_…) as a Bearer token.",
                )
            })?;
        let mut session = state.engine.authenticate_access_token(secret).await?;
        session.ip = parts
            .extensions
            .get::<ClientAddress>()
            .map(|client| client.0.to_string());
        Ok(Self(session))
    }
}

impl Operator {
    /// The session for a call that is the operator at work: it counts as their activity,
    /// as the console's commands do.
    async fn acting(self, state: &AppState) -> Result<Session, ApiError> {
        state.engine.note_activity(&self.0).await?;
        Ok(self.0)
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "operator",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "The operator", body = Me),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn me(Operator(session): Operator) -> Result<Json<Me>, ApiError> {
    session.require_ready()?;
    Ok(Json(session.me()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Availability {
    available: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/me/availability",
    tag = "operator",
    security(("access_token" = [])),
    request_body = Availability,
    responses(
        (status = 204, description = "Set"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn set_availability(
    State(state): State<AppState>,
    operator: Operator,
    ApiJson(body): ApiJson<Availability>,
) -> Result<StatusCode, ApiError> {
    let session = operator.0;
    state
        .engine
        .set_unavailable(&session, !body.available)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChatsQuery {
    /// `waiting`, `active` or `vacant`; every open chat without it.
    status: Option<String>,
}

/// The open visitor chats the operator's dashboard lists, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/chats",
    tag = "operator",
    security(("access_token" = [])),
    params(ChatsQuery),
    responses(
        (status = 200, description = "The open visitor chats, oldest first", body = Vec<ChatSummary>),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn list_chats(
    State(state): State<AppState>,
    Operator(session): Operator,
    query: Result<Query<ChatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<ChatSummary>>, ApiError> {
    let Query(query) =
        query.map_err(|rejection| ApiError::new(ErrorCode::BadRequest, rejection.body_text()))?;
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            ChatStatus::parse(raw)
                .filter(|status| *status != ChatStatus::Closed)
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::InvalidField,
                        "status is one of waiting, active or vacant.",
                    )
                })?,
        ),
    };
    let snapshot = state
        .engine
        .console_snapshot(&session, domain::channel::ChannelFilter::All)
        .await?;
    let mut chats: Vec<ChatSummary> = snapshot
        .dashboard
        .into_iter()
        .filter(|chat| status.is_none_or(|status| chat.status() == status))
        .collect();
    chats.sort_by_key(|chat| (chat.started_at, chat.id()));
    Ok(Json(chats))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsQuery {
    /// Only the events after this one.
    after: Option<EventId>,
}

/// A chat's events that the operator may see, oldest first: the chat's history as the
/// console shows it (the operator must be in the chat).
#[utoipa::path(
    get,
    path = "/api/v1/chats/{chat_id}/events",
    tag = "operator",
    security(("access_token" = [])),
    params(("chat_id" = String, Path, description = "The chat"), EventsQuery),
    responses(
        (status = 200, description = "The chat's events the operator may see, oldest first", body = Vec<ChatEvent>),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn chat_events(
    State(state): State<AppState>,
    Operator(session): Operator,
    ChatPath(chat): ChatPath,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<ChatEvent>>, ApiError> {
    let Query(query) =
        query.map_err(|_| ApiError::new(ErrorCode::BadRequest, "after must be an event id."))?;
    let after = query.after.unwrap_or_default();
    let chat = state.engine.my_chat(&session, chat).await?;
    Ok(Json(
        chat.events
            .into_iter()
            .filter(|event| event.id > after)
            .collect(),
    ))
}

/// Accepts a waiting chat; the first operator wins, later ones get `chat_not_waiting`.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{chat_id}/accept",
    tag = "operator",
    security(("access_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    responses(
        (status = 200, description = "The chat, now the operator's", body = ChatSummary),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn accept(
    State(state): State<AppState>,
    operator: Operator,
    ChatPath(chat): ChatPath,
) -> Result<Json<ChatSummary>, ApiError> {
    let session = operator.acting(&state).await?;
    let chat = state.engine.accept_chat(&session, chat).await?;
    Ok(Json(chat.summary))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewMessage {
    body: String,
    /// The caller's id for the message: a retry with the same id is not posted twice.
    client_id: Option<String>,
    /// A note only operators see.
    #[serde(default)]
    note: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/chats/{chat_id}/messages",
    tag = "operator",
    security(("access_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = NewMessage,
    responses(
        (status = 200, description = "The message event", body = ChatEvent),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn post_message(
    State(state): State<AppState>,
    operator: Operator,
    ChatPath(chat): ChatPath,
    ApiJson(body): ApiJson<NewMessage>,
) -> Result<Json<ChatEvent>, ApiError> {
    let session = operator.acting(&state).await?;
    let event = state
        .engine
        .operator_post(
            &session,
            chat,
            &body.body,
            body.client_id.as_deref(),
            body.note,
        )
        .await?;
    Ok(Json(event))
}

#[utoipa::path(
    post,
    path = "/api/v1/chats/{chat_id}/close",
    tag = "operator",
    security(("access_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    responses(
        (status = 200, description = "The events recorded", body = Vec<ChatEvent>),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn close(
    State(state): State<AppState>,
    operator: Operator,
    ChatPath(chat): ChatPath,
) -> Result<Json<Vec<ChatEvent>>, ApiError> {
    let session = operator.acting(&state).await?;
    Ok(Json(
        state
            .engine
            .operator_command(&session, chat, &ChatAction::Close.command())
            .await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Transfer {
    /// The online operator offered the chat.
    to: OperatorId,
}

/// Offers the chat to another online operator; it is theirs once they assume it.
#[utoipa::path(
    post,
    path = "/api/v1/chats/{chat_id}/transfer",
    tag = "operator",
    security(("access_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = Transfer,
    responses(
        (status = 202, description = "Offered to that operator"),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn transfer(
    State(state): State<AppState>,
    operator: Operator,
    ChatPath(chat): ChatPath,
    ApiJson(body): ApiJson<Transfer>,
) -> Result<StatusCode, ApiError> {
    let session = operator.acting(&state).await?;
    state
        .engine
        .offer_chat(&session, chat, OfferKind::Transfer, body.to)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Action {
    /// One of the console's chat controls: join, watch, accept_invite, assume, decline,
    /// leave, kick, close, hold, resume, …
    action: ChatAction,
}

#[utoipa::path(
    post,
    path = "/api/v1/chats/{chat_id}/actions",
    tag = "operator",
    security(("access_token" = [])),
    params(("chat_id" = String, Path, description = "The chat")),
    request_body = Action,
    responses(
        (status = 200, description = "The events recorded", body = Vec<ChatEvent>),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn action(
    State(state): State<AppState>,
    operator: Operator,
    ChatPath(chat): ChatPath,
    ApiJson(body): ApiJson<Action>,
) -> Result<Json<Vec<ChatEvent>>, ApiError> {
    let session = operator.acting(&state).await?;
    Ok(Json(
        state
            .engine
            .operator_command(&session, chat, &body.action.command())
            .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/visitors/online",
    tag = "operator",
    security(("access_token" = [])),
    responses(
        (status = 200, description = "Visitors on the site now (a page open within the last minute), most recent first", body = Vec<OnlineVisitor>),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn online_visitors(
    State(state): State<AppState>,
    Operator(session): Operator,
) -> Result<Json<Vec<OnlineVisitor>>, ApiError> {
    Ok(Json(state.engine.online_visitors(&session).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/invitations",
    tag = "operator",
    security(("access_token" = [])),
    request_body = InviteVisitor,
    responses(
        (status = 201, description = "Sent: the visitor's pages show it", body = Invitation),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn invite_visitor(
    State(state): State<AppState>,
    Operator(session): Operator,
    ApiJson(input): ApiJson<InviteVisitor>,
) -> Result<(StatusCode, Json<Invitation>), ApiError> {
    let invitation = state.engine.invite_visitor(&session, input).await?;
    Ok((StatusCode::CREATED, Json(invitation)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct StreamQuery {
    last_event_id: Option<String>,
    /// `all` (the default), or the ids of the channels whose dashboard changes to carry.
    channels: Option<String>,
}

/// The operator's stream: the console's, with the same replay rules (`Last-Event-ID`), ended
/// when the token is revoked.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "operator",
    security(("access_token" = [])),
    params(StreamQuery),
    responses(
        (status = 200, description = "Server-Sent Events: the operator's stream", content_type = "text/event-stream", body = String),
        crate::openapi::Refused,
    )
)]
pub(crate) async fn events(
    State(state): State<AppState>,
    Operator(session): Operator,
    query: Result<Query<StreamQuery>, axum::extract::rejection::QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|rejection| ApiError::new(ErrorCode::BadRequest, rejection.body_text()))?;
    sse::operator_stream(
        &state,
        &session,
        query.channels.as_deref(),
        query.last_event_id.as_deref(),
        request.headers(),
    )
    .await
}
