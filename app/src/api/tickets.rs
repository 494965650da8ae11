//! Tickets (O23): the follow-up list, and the chat menu's "Ticket" actions.

use domain::TicketId;
use domain::ticket::{
    AppendChat, Assignee, EditTicket, Ticket, TicketFilter, TicketFromChat, TicketReply, TicketView,
};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
use super::ssr;

/// The tickets the operator may see: open and pending ones, or one status; all, or theirs.
#[server(endpoint = "tickets", input = leptos::server_fn::codec::Json)]
pub async fn tickets(filter: TicketFilter) -> Result<Vec<Ticket>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.tickets(&session, filter).await?)
}

/// The operators a ticket can be given to.
#[server(endpoint = "ticket_assignees")]
pub async fn ticket_assignees() -> Result<Vec<Assignee>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.ticket_assignees(&session).await?)
}

/// One ticket with its thread.
#[server(endpoint = "ticket")]
pub async fn load_ticket(id: TicketId) -> Result<TicketView, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.ticket(&session, id).await?)
}

/// Turns a chat into a new ticket; the chat closes.
#[server(endpoint = "ticket_from_chat", input = leptos::server_fn::codec::Json)]
pub async fn turn_chat_into_ticket(form: TicketFromChat) -> Result<TicketView, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .ticket_from_chat(&session, form.chat, &form.subject)
        .await?)
}

/// Appends a chat to a ticket; the chat closes.
#[server(endpoint = "append_chat_to_ticket", input = leptos::server_fn::codec::Json)]
pub async fn append_chat_to_ticket(form: AppendChat) -> Result<TicketView, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .append_chat_to_ticket(&session, form.chat, form.ticket)
        .await?)
}

/// Changes a ticket's status, assignee or channel.
#[server(endpoint = "edit_ticket", input = leptos::server_fn::codec::Json)]
pub async fn change_ticket(form: EditTicket) -> Result<TicketView, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .edit_ticket(&session, form.ticket, form.edit)
        .await?)
}

/// Emails the visitor a reply from the ticket.
#[server(endpoint = "reply_to_ticket", input = leptos::server_fn::codec::Json)]
pub async fn reply_to_ticket(form: TicketReply) -> Result<TicketView, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .reply_to_ticket(&session, form.ticket, &form.body, form.then)
        .await?)
}
