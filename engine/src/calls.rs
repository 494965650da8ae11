//! Voice calls in a chat (V7, O26): a participant calls the visitor, either side ends the call,
//! and the two browsers' WebRTC signalling (accept, offer, answer, ICE candidates, mute) is
//! relayed between them over the product's own API and live streams — to the other party of
//! the call and nobody else. The chat records when the call started and how long it lasted;
//! the audio itself goes browser to browser.

use domain::call::CallSignal;
use domain::{Actor, ChatEvent, ChatId, Command, Error, ErrorCode};

use crate::store::VisitorRecord;
use crate::{Engine, Session};

impl Engine {
    /// The STUN and TURN servers calls connect through (operators).
    pub async fn ice_servers(
        &self,
        session: &Session,
    ) -> Result<Vec<domain::call::IceServer>, Error> {
        session.require_ready()?;
        Ok(self.settings().await?.ice_servers)
    }

    /// A participant calls the chat's visitor: their bubble rings.
    pub async fn start_call(&self, session: &Session, chat: ChatId) -> Result<ChatEvent, Error> {
        let at = self.now();
        self.operator_command(session, chat, &Command::StartCall { at })
            .await?
            .into_iter()
            .next()
            .ok_or_else(Error::internal)
    }

    /// The operator who called hangs up.
    pub async fn end_call(&self, session: &Session, chat: ChatId) -> Result<(), Error> {
        let at = self.now();
        self.operator_command(
            session,
            chat,
            &Command::EndCall {
                at,
                declined: false,
            },
        )
        .await
        .map(|_| ())
    }

    /// The visitor hangs up, or declines the call ringing.
    pub async fn visitor_end_call(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
        declined: bool,
    ) -> Result<(), Error> {
        let at = self.now();
        self.execute(
            chat,
            &Actor::Visitor(visitor.id),
            &Command::EndCall { at, declined },
        )
        .await
        .map(|_| ())
    }

    /// Relays the operator's signal to the visitor of their call.
    pub async fn operator_call_signal(
        &self,
        session: &Session,
        chat: ChatId,
        signal: CallSignal,
    ) -> Result<(), Error> {
        session.require_ready()?;
        let signal = signal.validate()?;
        let stored = self.require_member(session, chat).await?;
        let (signal, reach) = stored.state.call_relay(Some(session.operator.id), signal)?;
        self.signal(signal, reach);
        Ok(())
    }

    /// Relays the visitor's signal to the operator who called them.
    pub async fn visitor_call_signal(
        &self,
        visitor: &VisitorRecord,
        chat: ChatId,
        signal: CallSignal,
    ) -> Result<(), Error> {
        let signal = signal.validate()?;
        let stored = self.load(chat).await?;
        if stored.state.visitor != Some(visitor.id) {
            return Err(Error::new(ErrorCode::ChatNotFound, "No such chat."));
        }
        if !stored.state.open_for_visitor() || stored.state.visitor_kicked {
            return Err(Error::new(ErrorCode::ChatClosed, "This chat has ended."));
        }
        let (signal, reach) = stored.state.call_relay(None, signal)?;
        self.signal(signal, reach);
        Ok(())
    }
}
