//! Calls to the public visitor API (`/api/v1`, DESIGN §7).

use domain::api::{
    NewVisitor, PostMessage, Seen, StartChat, Typing, VisitorChat, VisitorCreated, VisitorView,
    WidgetConfig,
};
use domain::{ChatEvent, ChatId};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiError {
    /// No answer (offline, DNS, CORS, connection reset).
    Network,
    /// The server answered with an error status.
    Status {
        /// HTTP status.
        status: u16,
        /// The error code from the body (`"internal"` and the like), empty if none.
        code: String,
        /// A message safe to show to the visitor.
        message: String,
    },
}

impl ApiError {
    /// Network trouble, 5xx answers and `429 rate_limited` (sent too fast: a later try goes
    /// through) are worth retrying; other 4xx answers are final.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Network => true,
            Self::Status { status, .. } => *status >= 500 || *status == 429,
        }
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Network => None,
            Self::Status { status, .. } => Some(*status),
        }
    }

    /// The error code, if the server sent one.
    pub fn code(&self) -> &str {
        match self {
            Self::Network => "",
            Self::Status { code, .. } => code,
        }
    }

    /// What to show the visitor.
    pub fn message(&self) -> String {
        match self {
            Self::Network => {
                "Could not reach the chat service. Please check your connection.".to_owned()
            }
            Self::Status { message, .. } => message.clone(),
        }
    }
}

#[derive(Deserialize)]
struct WireErrorBody {
    error: WireError,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

async fn error_from(resp: &Response) -> ApiError {
    let status = resp.status();
    let (code, message) = match resp.json::<WireErrorBody>().await {
        Ok(body) => (body.error.code, body.error.message),
        Err(_) => (String::new(), String::new()),
    };
    let message = if message.trim().is_empty() {
        format!("Something went wrong (HTTP {status}). Please try again.")
    } else {
        message
    };
    ApiError::Status {
        status,
        code,
        message,
    }
}

fn bearer(builder: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(token) => builder.header("Authorization", &format!("Bearer {token}")),
        None => builder,
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    let request = request.map_err(|_| ApiError::Network)?;
    let resp = request.send().await.map_err(|_| ApiError::Network)?;
    if resp.ok() {
        Ok(resp)
    } else {
        Err(error_from(&resp).await)
    }
}

async fn json<T: DeserializeOwned>(resp: Response) -> Result<T, ApiError> {
    resp.json::<T>().await.map_err(|_| ApiError::Status {
        status: 502,
        code: String::new(),
        message: "The chat service sent an answer the bubble could not read.".to_owned(),
    })
}

/// `GET /api/v1/widget/config`.
pub async fn config(base: &str) -> Result<WidgetConfig, ApiError> {
    let resp = send(Request::get(&format!("{base}/api/v1/widget/config")).build()).await?;
    json(resp).await
}

/// `POST /api/v1/visitors`.
pub async fn create_visitor(base: &str, body: &NewVisitor) -> Result<VisitorCreated, ApiError> {
    let resp = send(Request::post(&format!("{base}/api/v1/visitors")).json(body)).await?;
    json(resp).await
}

/// `GET /api/v1/visitor`.
pub async fn visitor(base: &str, token: &str) -> Result<VisitorView, ApiError> {
    let builder = bearer(Request::get(&format!("{base}/api/v1/visitor")), Some(token));
    json(send(builder.build()).await?).await
}

/// `POST /api/v1/visitor/messages`: "Leave a message" while live chat is not offered.
pub async fn leave_message(
    base: &str,
    token: &str,
    body: &domain::followup::OfflineMessage,
) -> Result<(), ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/messages")),
        Some(token),
    );
    send(builder.json(body)).await.map(|_| ())
}

/// `POST /api/v1/visitor/chats`.
pub async fn start_chat(
    base: &str,
    token: &str,
    body: &StartChat,
) -> Result<VisitorChat, ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats")),
        Some(token),
    );
    json(send(builder.json(body)).await?).await
}

/// `POST /api/v1/visitor/invitations/{id}/accept`: Start Chat from an operator's invitation.
pub async fn accept_invitation(
    base: &str,
    token: &str,
    invitation: domain::InvitationId,
    body: &domain::visitor::AcceptInvitation,
) -> Result<VisitorChat, ApiError> {
    let builder = bearer(
        Request::post(&format!(
            "{base}/api/v1/visitor/invitations/{invitation}/accept"
        )),
        Some(token),
    );
    json(send(builder.json(body)).await?).await
}

/// `POST /api/v1/visitor/chats/{chat_id}/messages`.
pub async fn post_message(
    base: &str,
    token: &str,
    chat: ChatId,
    body: &PostMessage,
) -> Result<ChatEvent, ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats/{chat}/messages")),
        Some(token),
    );
    json(send(builder.json(body)).await?).await
}

/// `POST /api/v1/visitor/chats/{chat_id}/end`.
pub async fn end_chat(base: &str, token: &str, chat: ChatId) -> Result<(), ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats/{chat}/end")),
        Some(token),
    );
    send(builder.build()).await.map(|_| ())
}

/// `POST /api/v1/visitor/chats/{chat_id}/typing` (answered 204).
pub async fn typing(base: &str, token: &str, chat: ChatId, body: &Typing) -> Result<(), ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats/{chat}/typing")),
        Some(token),
    );
    send(builder.json(body)).await.map(|_| ())
}

/// `POST /api/v1/visitor/chats/{chat_id}/seen`.
pub async fn seen(base: &str, token: &str, chat: ChatId, body: &Seen) -> Result<(), ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats/{chat}/seen")),
        Some(token),
    );
    send(builder.json(body)).await.map(|_| ())
}

/// `POST /api/v1/visitor/chats/{chat_id}/call/signal`: to the operator who called.
pub async fn call_signal(
    base: &str,
    token: &str,
    chat: ChatId,
    body: &domain::call::CallSignal,
) -> Result<(), ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats/{chat}/call/signal")),
        Some(token),
    );
    send(builder.json(body)).await.map(|_| ())
}

/// `POST /api/v1/visitor/chats/{chat_id}/call/end`: hang up, or decline the ringing call.
pub async fn end_call(
    base: &str,
    token: &str,
    chat: ChatId,
    declined: bool,
) -> Result<(), ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats/{chat}/call/end")),
        Some(token),
    );
    send(builder.json(&serde_json::json!({ "declined": declined })))
        .await
        .map(|_| ())
}

/// `POST /api/v1/visitor/chats/{chat_id}/rating`.
pub async fn rate(
    base: &str,
    token: &str,
    chat: ChatId,
    body: &domain::rating::RateChat,
) -> Result<ChatEvent, ApiError> {
    let builder = bearer(
        Request::post(&format!("{base}/api/v1/visitor/chats/{chat}/rating")),
        Some(token),
    );
    json(send(builder.json(body)).await?).await
}

/// `GET /api/v1/visitor/chats/{chat_id}/transcript`: the file's name and its text.
pub async fn transcript(
    base: &str,
    token: &str,
    chat: ChatId,
) -> Result<(String, String), ApiError> {
    let builder = bearer(
        Request::get(&format!("{base}/api/v1/visitor/chats/{chat}/transcript")),
        Some(token),
    );
    let resp = send(builder.build()).await?;
    let name = resp
        .headers()
        .get("content-disposition")
        .and_then(|d| {
            d.split_once("filename=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(name, _)| name.to_owned())
        })
        .unwrap_or_else(|| "chat-transcript.txt".to_owned());
    let text = resp.text().await.map_err(|_| ApiError::Network)?;
    Ok((name, text))
}

/// `POST /api/v1/visitor/chats/{chat_id}/transcript/email`.
pub async fn email_transcript(
    base: &str,
    token: &str,
    chat: ChatId,
    body: &domain::mail::EmailTranscript,
) -> Result<(), ApiError> {
    let builder = bearer(
        Request::post(&format!(
            "{base}/api/v1/visitor/chats/{chat}/transcript/email"
        )),
        Some(token),
    );
    send(builder.json(body)).await.map(|_| ())
}

/// `GET /api/v1/visitor/events`: opens the event stream after `last_event_id`.
pub async fn open_events(
    base: &str,
    token: &str,
    last_event_id: i64,
    abort: Option<&web_sys::AbortSignal>,
) -> Result<Response, ApiError> {
    let builder = bearer(
        Request::get(&format!("{base}/api/v1/visitor/events")),
        Some(token),
    )
    .header("Accept", "text/event-stream")
    .header("Last-Event-ID", &last_event_id.to_string())
    .abort_signal(abort);
    send(builder.build()).await
}
