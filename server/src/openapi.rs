//! The API's OpenAPI 3.1 description, generated from the handlers and the wire types
//! themselves (utoipa), and served at `GET /api/v1/openapi.json`: the visitor API, the operator
//! API, their security schemes and the error body with its codes.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{operator_api, visitor_api};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "The public visitor API (what the chat bubble uses) and the operator API \
                       (scripts and integrations, with personal access tokens). Errors are \
                       `{\"error\": {\"code\", \"message\"}}` with the codes of `ErrorCode`."
    ),
    paths(
        visitor_api::widget_config,
        visitor_api::create_visitor,
        visitor_api::visitor,
        visitor_api::start_chat,
        visitor_api::leave_message,
        visitor_api::post_message,
        visitor_api::end_chat,
        visitor_api::typing,
        visitor_api::seen,
        visitor_api::call_signal,
        visitor_api::end_call,
        visitor_api::rate_chat,
        visitor_api::transcript,
        visitor_api::email_transcript,
        visitor_api::page_view,
        visitor_api::open_invitation,
        visitor_api::invitation_seen,
        visitor_api::decline_invitation,
        visitor_api::accept_invitation,
        visitor_api::events,
        operator_api::me,
        operator_api::set_availability,
        operator_api::list_chats,
        operator_api::chat_events,
        operator_api::accept,
        operator_api::post_message,
        operator_api::close,
        operator_api::transfer,
        operator_api::action,
        operator_api::online_visitors,
        operator_api::invite_visitor,
        operator_api::events,
    ),
    components(schemas(domain::error::ErrorBody, domain::error::ErrorCode)),
    modifiers(&Security),
    tags(
        (name = "visitor", description = "The visitor API: bearer visitor tokens from `POST /api/v1/visitors`"),
        (name = "operator", description = "The operator API: bearer personal access tokens (`sbp_…`)"),
    )
)]
struct ApiDoc;

/// What every call may answer besides its success: the error body, with a code of `ErrorCode`.
#[derive(utoipa::IntoResponses)]
#[allow(
    dead_code,
    reason = "only its description is used: the handlers answer `ApiError`"
)]
pub(crate) enum Refused {
    /// Refused; nothing was changed.
    #[response(status = "4XX")]
    Client(domain::error::ErrorBody),
    /// The server failed, or the database is unavailable; nothing was changed.
    #[response(status = "5XX")]
    Server(domain::error::ErrorBody),
}

/// The two bearer schemes: visitor tokens and personal access tokens.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, what) in [
            (
                "visitor_token",
                "A visitor token from POST /api/v1/visitors",
            ),
            ("access_token", "A personal access token (sbp_…)"),
        ] {
            components.add_security_scheme(
                name,
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(what))
                        .build(),
                ),
            );
        }
    }
}

/// The description, with this build's version.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    api
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
