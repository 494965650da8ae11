//! Logging in and out, and the password change.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// What the login form sends (posted as `input[email]`, `input[password]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginInput {
    /// The login email, as typed.
    pub email: String,
    /// The password, as typed.
    pub password: String,
}

/// What the password change form sends (posted as `input[current]`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChangeInput {
    /// The password in use now.
    pub current: String,
    /// The password wanted.
    pub new_password: String,
    /// The password wanted, typed again.
    pub confirm: String,
}

/// Logs in with email and password; sets the session cookie and sends the operator on to the
/// dashboard, or to the password change while the default password is in use.
#[server(endpoint = "login")]
pub async fn login(input: LoginInput) -> Result<(), ConsoleError> {
    let context = ssr::context()?;
    let outcome = context
        .engine
        .login_from(&input.email, &input.password, ssr::client_address())
        .await?;
    // A session presented with the login is ended, not kept alongside the new one.
    if let Some(old) = ssr::request_cookie(crate::session_cookie_name(context.secure_cookies))
        && let Ok(old) = context.engine.authenticate(&old).await
    {
        context.engine.logout(&old).await?;
    }
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
pub async fn change_password(input: PasswordChangeInput) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    if input.new_password != input.confirm {
        return Err(domain::Error::new(
            domain::ErrorCode::InvalidField,
            "The new password and its confirmation differ.",
        )
        .into());
    }
    context
        .engine
        .change_password(&session, &input.current, &input.new_password)
        .await?;
    Ok(())
}
