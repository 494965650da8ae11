//! Tickets (O23): the service behind the console's ticket list and the chat menu's "Ticket"
//! actions. Status rules and who sees what are the domain's; this module loads, decides with
//! them, and writes conditionally on the status it decided from, so that two operators on
//! different nodes cannot both move the same ticket.

use domain::chat::Viewer;
use domain::console::Role;
use domain::mail::MailPurpose;
use domain::reach::SignalReach;
use domain::ticket::{
    ArticleKind, Assignee, ChatAfterTicket, TICKETS_SHOWN, Ticket, TicketEdit, TicketFilter,
    TicketScope, TicketStatus, TicketView, may_ticket_chat, parse_reply, parse_subject,
    reply_subject,
};
use domain::{ChatId, Command, Error, ErrorCode, Signal, TicketId};
use uuid::Uuid;

use crate::operators::Session;
use crate::store::{NewArticle, NewMail, NewTicket, StoreError, TicketChange};
use crate::{Engine, internal};

fn no_such_ticket() -> Error {
    Error::new(ErrorCode::NotFound, "There is no such ticket.")
}

fn moved() -> Error {
    Error::new(
        ErrorCode::TicketConflict,
        "Someone changed this ticket at the same moment: look again and retry.",
    )
}

fn stored(err: StoreError) -> Error {
    match err {
        StoreError::NotFound => no_such_ticket(),
        StoreError::Conflict => moved(),
        err => internal(err),
    }
}

impl Engine {
    /// The tickets the operator may see.
    async fn ticket_scope(&self, session: &Session) -> Result<TicketScope, Error> {
        let channels = self.store.channels().await.map_err(internal)?;
        Ok(TicketScope::of(
            session.operator.role,
            session.operator.id,
            &channels,
        ))
    }

    /// The tickets matching `filter` that the operator may see, most recently changed first.
    pub async fn tickets(
        &self,
        session: &Session,
        filter: TicketFilter,
    ) -> Result<Vec<Ticket>, Error> {
        session.require_role(Role::Operator)?;
        let scope = self.ticket_scope(session).await?;
        self.store
            .tickets(filter, &scope, session.operator.id, TICKETS_SHOWN)
            .await
            .map_err(internal)
    }

    /// One ticket with its thread; `not_found` for one the operator may not see.
    pub async fn ticket(&self, session: &Session, id: TicketId) -> Result<TicketView, Error> {
        session.require_role(Role::Operator)?;
        let scope = self.ticket_scope(session).await?;
        match self.store.ticket(id).await.map_err(internal)? {
            Some(view) if scope.sees(&view.ticket) => Ok(view),
            _ => Err(no_such_ticket()),
        }
    }

    /// The operators a ticket can be given to: every account not disabled, by name.
    pub async fn ticket_assignees(&self, session: &Session) -> Result<Vec<Assignee>, Error> {
        session.require_role(Role::Operator)?;
        let mut all: Vec<Assignee> = self
            .store
            .operators()
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|o| !o.disabled)
            .map(|o| Assignee {
                id: o.id,
                name: o.name,
            })
            .collect();
        all.sort_by_key(|a| a.name.to_lowercase());
        Ok(all)
    }

    /// The chat as a ticket article: its transcript as the visitor saw it (notes stay in the
    /// chat's own transcript).
    async fn chat_article(
        &self,
        session: &Session,
        chat: ChatId,
    ) -> Result<(domain::ChatState, ChatAfterTicket, NewArticle), Error> {
        session.require_ready()?;
        let state = self.load(chat).await?.state;
        let took_part = self
            .store
            .took_part(session.operator.id, chat)
            .await
            .map_err(internal)?;
        let after = may_ticket_chat(
            &state,
            session.operator.id,
            session.operator.role,
            took_part,
        )?;
        let transcript = self.transcript(&state, Viewer::Visitor, false).await?;
        let article = NewArticle {
            kind: ArticleKind::Chat,
            author: session.operator.display_name().to_owned(),
            body: transcript.to_text("Chat transcript"),
            chat: Some(chat),
            recipient: None,
            created_at: self.now(),
        };
        Ok((state, after, article))
    }

    /// Closes the chat a ticket now carries on, if it was still open. A chat someone else
    /// closed meanwhile is fine: it is over either way.
    async fn close_ticketed_chat(
        &self,
        session: &Session,
        chat: ChatId,
        after: ChatAfterTicket,
    ) -> Result<(), Error> {
        if after == ChatAfterTicket::Leave {
            return Ok(());
        }
        match self.operator_command(session, chat, &Command::Close).await {
            Ok(_) => Ok(()),
            Err(err) if err.code == ErrorCode::ChatClosed => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Turns a chat into a new ticket (assigned to the operator, in the chat's channel, with
    /// the chat as its first article), then closes the chat.
    pub async fn ticket_from_chat(
        &self,
        session: &Session,
        chat: ChatId,
        subject: &str,
    ) -> Result<TicketView, Error> {
        let subject = parse_subject(subject)?;
        let (state, after, article) = self.chat_article(session, chat).await?;
        let visitor = match state.visitor {
            Some(id) => self.store.visitor_by_id(id).await.map_err(internal)?,
            None => None,
        };
        let id = TicketId(Uuid::now_v7());
        let ticket = NewTicket {
            id,
            subject,
            assignee: Some(session.operator.id),
            channel: state.channel,
            visitor: state.visitor,
            name: state.visitor_name.clone(),
            email: visitor.and_then(|v| v.email).unwrap_or_default(),
            reason: None,
            created_at: article.created_at,
        };
        let number = self
            .store
            .insert_ticket(&ticket, &article, &[])
            .await
            .map_err(internal)?;
        self.record(
            session,
            "ticket_from_chat",
            Some(chat),
            Some(format!("#{number}")),
        )
        .await;
        self.signal(Signal::TicketsChanged, SignalReach::all_operators(None));
        self.close_ticketed_chat(session, chat, after).await?;
        self.ticket(session, id).await
    }

    /// Appends a chat to a ticket the operator may see (reopening it if it was closed or
    /// pending), then closes the chat. A chat is in a ticket once: appending it again is a
    /// `ticket_conflict`.
    pub async fn append_chat_to_ticket(
        &self,
        session: &Session,
        chat: ChatId,
        ticket: TicketId,
    ) -> Result<TicketView, Error> {
        let (_, after, article) = self.chat_article(session, chat).await?;
        let current = self.ticket(session, ticket).await?.ticket;
        match self
            .store
            .add_article(
                ticket,
                current.status,
                current.status.after_append(),
                &article,
                None,
            )
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict)
                if self
                    .ticket(session, ticket)
                    .await?
                    .articles
                    .iter()
                    .any(|a| a.chat == Some(chat)) =>
            {
                return Err(Error::new(
                    ErrorCode::TicketConflict,
                    format!("This chat is in ticket #{} already.", current.number),
                ));
            }
            Err(err) => return Err(stored(err)),
        }
        self.record(
            session,
            "append_to_ticket",
            Some(chat),
            Some(format!("#{}", current.number)),
        )
        .await;
        self.signal(Signal::TicketsChanged, SignalReach::all_operators(None));
        self.close_ticketed_chat(session, chat, after).await?;
        self.ticket(session, ticket).await
    }

    /// Changes a ticket's status, assignee or channel.
    pub async fn edit_ticket(
        &self,
        session: &Session,
        id: TicketId,
        edit: TicketEdit,
    ) -> Result<TicketView, Error> {
        let current = self.ticket(session, id).await?.ticket;
        let mut change = TicketChange {
            status: current.status,
            assignee: current.assignee,
            channel: current.channel,
            at: self.now(),
        };
        let object = match edit {
            TicketEdit::Status(to) => {
                change.status = current.status.change_to(to)?;
                to.as_str().to_owned()
            }
            TicketEdit::Assign(None) => {
                change.assignee = None;
                "nobody".to_owned()
            }
            TicketEdit::Assign(Some(operator)) => {
                let target = self
                    .store
                    .operator_by_id(operator)
                    .await
                    .map_err(internal)?
                    .filter(|o| !o.disabled)
                    .ok_or_else(|| Error::invalid("assignee", "There is no such operator."))?;
                change.assignee = Some(target.id);
                target.name
            }
            TicketEdit::Channel(None) => {
                change.channel = None;
                "no channel".to_owned()
            }
            TicketEdit::Channel(Some(channel)) => {
                let channel = self.open_channel(channel).await?;
                change.channel = Some(channel.id);
                channel.name
            }
        };
        self.store
            .update_ticket(id, current.status, &change)
            .await
            .map_err(stored)?;
        self.record(
            session,
            "edit_ticket",
            None,
            Some(format!("#{} {object}", current.number)),
        )
        .await;
        self.signal(Signal::TicketsChanged, SignalReach::all_operators(None));
        // An operator who moved a ticket out of their reach learns it went, not an error.
        match self.ticket(session, id).await {
            Ok(view) => Ok(view),
            Err(_) => Ok(domain::ticket::TicketView {
                ticket: Ticket {
                    status: change.status,
                    assignee: change.assignee,
                    channel: change.channel,
                    updated_at: change.at,
                    ..current
                },
                articles: Vec::new(),
            }),
        }
    }

    /// Emails the ticket's visitor a reply from the operator: the reply is an article and a
    /// mail in the outbox, written together, and the ticket moves to `then` (pending by
    /// default: waiting for the customer).
    pub async fn reply_to_ticket(
        &self,
        session: &Session,
        id: TicketId,
        body: &str,
        then: TicketStatus,
    ) -> Result<TicketView, Error> {
        let body = parse_reply(body)?;
        let current = self.ticket(session, id).await?.ticket;
        let status = current.status.after_reply(then)?;
        if current.email.is_empty() {
            return Err(Error::invalid(
                "body",
                "The visitor left no email address to reply to.",
            ));
        }
        if !self.mail_configured() {
            return Err(crate::mail::not_configured());
        }
        let at = self.now();
        let signature = session.operator.display_name().to_owned();
        let mail = NewMail {
            recipient: current.email.clone(),
            subject: reply_subject(&current),
            body: format!("{body}\n\n-- \n{signature}\nSent by Switchboard live chat.\n"),
            purpose: MailPurpose::TicketReply,
            chat: None,
            created_at: at,
        };
        let article = NewArticle {
            kind: ArticleKind::Reply,
            author: signature,
            body,
            chat: None,
            recipient: Some(current.email.clone()),
            created_at: at,
        };
        self.store
            .add_article(id, current.status, status, &article, Some(&mail))
            .await
            .map_err(stored)?;
        self.record(
            session,
            "reply_ticket",
            None,
            Some(format!("#{} {}", current.number, current.email)),
        )
        .await;
        self.signal(Signal::TicketsChanged, SignalReach::all_operators(None));
        self.ticket(session, id).await
    }
}
