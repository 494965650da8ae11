//! The console's server functions. Each authenticates the caller from the session cookie,
//! calls one engine service and answers its result; the engine decides everything.

use domain::console::{ConsoleSnapshot, MyChat};
use domain::{ChatEvent, ChatId, EventId};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
pub mod ssr;

/// Logs in with email and password; sets the session cookie and sends the operator on to the
/// dashboard, or to the password change while the default password is in use.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), ConsoleError> {
    let context = ssr::context()?;
    let outcome = context.engine.login(&email, &password).await?;
    ssr::set_session_cookie(&context, &outcome.token);
    leptos_axum::redirect(if outcome.must_change_password {
        "/password"
    } else {
        "/"
    });
    Ok(())
}

/// Ends the session and clears the cookie.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    context.engine.logout(&session).await?;
    ssr::clear_session_cookie(&context);
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the password (the forced first change, or from My profile).
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new_password: String,
    confirm: String,
) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    if new_password != confirm {
        return Err(domain::Error::new(
            domain::ErrorCode::InvalidField,
            "The new password and its confirmation differ.",
        )
        .into());
    }
    context
        .engine
        .change_password(&session, &current, &new_password)
        .await?;
    Ok(())
}

/// Everything the console shows at load.
#[server(endpoint = "load_console")]
pub async fn load_console() -> Result<ConsoleSnapshot, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.console_snapshot(&session).await?)
}

/// One chat the operator is in, with its history.
#[server(endpoint = "load_chat")]
pub async fn load_chat(chat_id: ChatId) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.my_chat(&session, chat_id).await?)
}

/// Accepts a waiting chat; the first operator wins, later ones get `chat_not_waiting`.
#[server(endpoint = "accept_chat")]
pub async fn accept_chat(chat_id: ChatId) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.accept_chat(&session, chat_id).await?)
}

/// Posts a message in a chat the operator is in.
#[server(endpoint = "post_message")]
pub async fn post_message(
    chat_id: ChatId,
    body: String,
    client_id: Option<String>,
) -> Result<ChatEvent, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .operator_post(&session, chat_id, &body, client_id.as_deref())
        .await?)
}

/// Records that the operator has read a chat up to an event.
#[server(endpoint = "mark_read")]
pub async fn mark_read(chat_id: ChatId, up_to: EventId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.mark_read(&session, chat_id, up_to).await?)
}
