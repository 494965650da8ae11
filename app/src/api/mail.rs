//! Email: the SMTP set-up, the outbox and the test mail (admins).

use domain::ChatId;
use domain::mail::{MailOverview, TestMail};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// Where to email a chat the visitor's part of is over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChatInput {
    /// The chat.
    pub chat_id: ChatId,
    /// The address as typed; blank: the one the visitor gave.
    #[serde(default)]
    pub to: String,
}

/// The SMTP server mail leaves through and the newest mails (admins only).
#[server(endpoint = "mail_overview")]
pub async fn mail_page() -> Result<MailOverview, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.mail_overview(&session).await?)
}

/// Queues a test mail to the address given, or the admin's own; answers where it goes.
#[server(endpoint = "send_test_mail", input = leptos::server_fn::codec::Json)]
pub async fn send_test_mail(form: TestMail) -> Result<String, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.send_test_mail(&session, &form.to).await?)
}

/// Sends a chat whose visitor's part is over to the visitor by email (O23): to the address
/// given, or the one they gave; answers where it goes.
#[server(endpoint = "email_chat", input = leptos::server_fn::codec::Json)]
pub async fn email_chat(input: EmailChatInput) -> Result<String, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .email_chat(&session, input.chat_id, &input.to)
        .await?)
}
