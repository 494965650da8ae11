//! Server-side plumbing shared by the server functions: the engine from context, the session
//! from the cookie, and the cookie itself.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue};
use engine::{Engine, Session};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::error::ConsoleError;
use crate::session_cookie_name;

/// The client's address as the server's front door established it (a proxy's word for it
/// only when the proxy is trusted), kept in the request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The origin (`scheme://host[:port]`) the request was made to, as the front door checked it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestOrigin(pub String);

/// The nonce of this page's Content-Security-Policy, in the request's extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(pub String);

/// The nonce the console page's scripts carry, if its policy has one.
pub fn csp_nonce() -> Option<String> {
    use_context::<Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().map(|n| n.0.clone()))
}

/// What the server provides to every server function.
#[derive(Clone, Debug)]
pub struct ConsoleContext {
    /// The service layer.
    pub engine: Engine,
    /// Mark the session cookie `Secure` (the console is served over TLS).
    pub secure_cookies: bool,
}

/// The console context, provided by the server for each request.
pub fn context() -> Result<ConsoleContext, ConsoleError> {
    use_context::<ConsoleContext>().ok_or_else(|| {
        tracing::error!("console context missing");
        ConsoleError(domain::Error::internal())
    })
}

/// A cookie's value in a `Cookie` header, if any.
fn cookie_value(header: Option<&HeaderValue>, cookie: &str) -> Option<String> {
    header?
        .to_str()
        .ok()?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The session token in a `Cookie` header, if any (`secure`: the server uses `Secure`
/// cookies, named with the `__Host-` prefix).
pub fn token_from_cookies(header: Option<&HeaderValue>, secure: bool) -> Option<String> {
    cookie_value(header, session_cookie_name(secure))
}

/// A cookie the request to this server function carried.
pub fn request_cookie(cookie: &str) -> Option<String> {
    use_context::<Parts>().and_then(|parts| cookie_value(parts.headers.get(COOKIE), cookie))
}

/// The address the request came from.
pub fn client_address() -> Option<String> {
    use_context::<Parts>().and_then(|parts| {
        parts
            .extensions
            .get::<ClientAddress>()
            .map(|client| client.0.to_string())
    })
}

/// The one way the console finds its operator, for its pages' gate, its server functions and
/// its event stream: the session cookie of a request, if it carries a live session. `None`
/// without a cookie or with an ended session; other failures (the database) are errors.
pub async fn cookie_session(
    engine: &Engine,
    headers: &HeaderMap,
    extensions: &Extensions,
    secure: bool,
) -> Result<Option<Session>, domain::Error> {
    let Some(token) = token_from_cookies(headers.get(COOKIE), secure) else {
        return Ok(None);
    };
    match engine.authenticate(&token).await {
        Ok(mut session) => {
            session.ip = extensions
                .get::<ClientAddress>()
                .map(|client| client.0.to_string());
            Ok(Some(session))
        }
        Err(err) if err.code == domain::ErrorCode::Unauthorized => Ok(None),
        Err(err) => Err(err),
    }
}

/// The context and the caller's session; `unauthorized` without a valid one. Reading does
/// not count as the operator's activity (see [`acting_session`]).
pub async fn session() -> Result<(ConsoleContext, Session), ConsoleError> {
    let context = context()?;
    let parts = use_context::<Parts>().ok_or_else(|| ConsoleError(domain::Error::internal()))?;
    let session = cookie_session(
        &context.engine,
        &parts.headers,
        &parts.extensions,
        context.secure_cookies,
    )
    .await?
    .ok_or_else(|| ConsoleError(domain::Error::unauthorized()))?;
    Ok((context, session))
}

/// [`session`] for a call that is the operator at work (a command, a save, typing): it
/// counts as activity, which keeps them from turning away. Reads and polls do not.
pub async fn acting_session() -> Result<(ConsoleContext, Session), ConsoleError> {
    let (context, session) = session().await?;
    context.engine.note_activity(&session).await?;
    Ok((context, session))
}

fn set_cookie(context: &ConsoleContext, value: &str, max_age_seconds: i64) {
    let secure = if context.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let name = session_cookie_name(context.secure_cookies);
    let cookie = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"
    );
    match (
        HeaderValue::from_str(&cookie),
        use_context::<ResponseOptions>(),
    ) {
        (Ok(header), Some(response)) => response.append_header(SET_COOKIE, header),
        _ => tracing::error!("could not set the session cookie"),
    }
}

/// Sets the session cookie for a new session; it lives as long as the session may.
pub fn set_session_cookie(context: &ConsoleContext, token: &str) {
    let max_age = context.engine.config().session_absolute_ms / 1000;
    set_cookie(context, token, max_age);
}

/// Removes the session cookie.
pub fn clear_session_cookie(context: &ConsoleContext) {
    set_cookie(context, "", 0);
}

/// The console's origin as the browser reached it (`http(s)://host`), for code to paste into
/// customer sites.
pub fn origin() -> String {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<RequestOrigin>().map(|o| o.0.clone()))
        .unwrap_or_else(|| "http://127.0.0.1:3000".to_owned())
}
