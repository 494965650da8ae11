//! Automatic routing (R2) and the sweep that moves time-based rules along.
//!
//! A new chat in an automatic channel is assigned to one available operator of its channel
//! (the order of preference and the reason are `domain::routing`'s). The assignee accepts it,
//! or declines it, or lets the acknowledge time pass; then the next candidate gets it. A chat
//! still waiting at T2 passes on too.
//!
//! Nothing here is held in memory: every node runs the same sweep over the waiting chats in
//! the database, and every change is a chat command decided on fresh state, so two nodes that
//! sweep at once assign or pass a chat once.

use std::collections::HashMap;

use domain::channel::Channel;
use domain::routing::{Candidate, PassReason, RoutingMode};
use domain::settings::Settings;
use domain::{Actor, ChatId, ChatStatus, Command, Error, OperatorId, Timestamp};

use crate::collab::CONSOLES_LIVE_MS;
use crate::operators::Session;
use crate::store::{PresentOperator, StoredChat};
use crate::{Engine, internal};

/// How often each node sweeps.
pub(crate) const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// What routing needs to know about everyone, read once per sweep.
struct Roster {
    settings: Settings,
    channels: Vec<Channel>,
    present: Vec<PresentOperator>,
    /// Open visitor chats each operator takes part in or is assigned.
    load: HashMap<OperatorId, u32>,
    now: Timestamp,
}

impl Roster {
    fn channel_of(&self, chat: &StoredChat) -> Option<&Channel> {
        chat.state
            .channel
            .and_then(|id| self.channels.iter().find(|c| c.id == id))
    }

    fn mode(&self, chat: &StoredChat) -> RoutingMode {
        self.settings
            .routing_of(self.channel_of(chat).map(|c| &c.settings))
    }

    /// Whether the operator could take a chat now (console open, see
    /// [`PresentOperator::answers_now`]).
    fn available(&self, operator: OperatorId) -> bool {
        self.present
            .iter()
            .any(|p| p.operator.id == operator && p.answers_now(&self.settings, self.now))
    }

    /// Who may be assigned the chat: available operators of its channel (all of them for no
    /// channel, or a channel nobody serves), never one it already passed over.
    fn candidates(&self, chat: &StoredChat) -> Vec<Candidate> {
        let channel = self.channel_of(chat);
        self.present
            .iter()
            .filter(|p| domain::channel::answered_by(channel, p.operator.id))
            .filter(|p| !chat.state.passed_over.contains(&p.operator.id))
            .filter(|p| p.answers_now(&self.settings, self.now))
            .map(|p| Candidate {
                id: p.operator.id,
                name: p.operator.display_name().to_owned(),
                languages: p.operator.languages.clone(),
                load: self.load.get(&p.operator.id).copied().unwrap_or_default(),
                idle_ms: self.now.millis_since(p.active_at),
            })
            .collect()
    }
}

impl Engine {
    /// The roster, with who is present and their load only when some chat routes
    /// automatically (`None` when every one of `chats` is routed by hand).
    async fn roster(&self, chats: &[&StoredChat]) -> Result<Option<Roster>, Error> {
        let now = self.now();
        let settings = self.settings().await?;
        let channels = self.store.channels().await.map_err(internal)?;
        let mut roster = Roster {
            settings,
            channels,
            present: Vec::new(),
            load: HashMap::new(),
            now,
        };
        if chats
            .iter()
            .all(|chat| roster.mode(chat) == RoutingMode::Manual)
        {
            return Ok(None);
        }
        roster.present = self
            .store
            .present_operators(Timestamp(now.0 - CONSOLES_LIVE_MS))
            .await
            .map_err(internal)?;
        for chat in self.store.open_chats().await.map_err(internal)? {
            if chat.state.is_private() {
                continue;
            }
            for member in chat.state.participants() {
                *roster.load.entry(member.id).or_default() += 1;
            }
            if let Some(assigned) = &chat.state.assigned {
                *roster.load.entry(assigned.operator).or_default() += 1;
            }
        }
        Ok(Some(roster))
    }

    /// Assigns a waiting chat of an automatic channel to the best candidate, if there is one;
    /// with none it waits in the queue for whoever accepts it, and the sweep tries again.
    async fn assign(&self, roster: &mut Roster, chat: &StoredChat) -> Result<(), Error> {
        if chat.state.status != ChatStatus::Waiting
            || chat.state.assigned.is_some()
            || roster.mode(chat) != RoutingMode::Automatic
        {
            return Ok(());
        }
        let language = match chat.state.visitor {
            Some(visitor) => self
                .store
                .visitor_by_id(visitor)
                .await
                .map_err(internal)?
                .and_then(|v| v.language),
            None => None,
        };
        let candidates = roster.candidates(chat);
        let Some(choice) = domain::routing::choose(
            &candidates,
            language.as_deref(),
            roster.settings.max_chats_per_operator,
        ) else {
            return Ok(());
        };
        let command = Command::Assign {
            operator: choice.operator,
            operator_name: choice.operator_name,
            reason: choice.reason,
            since: roster.now,
        };
        let events = self
            .execute(chat.state.id, &Actor::System, &command)
            .await?;
        if !events.is_empty() {
            *roster.load.entry(choice.operator).or_default() += 1;
        }
        Ok(())
    }

    /// Routes one chat now (a new chat, or one its assignee declined).
    pub(crate) async fn route(&self, chat: ChatId) -> Result<(), Error> {
        let stored = self.load(chat).await?;
        if stored.state.status != ChatStatus::Waiting || stored.state.assigned.is_some() {
            return Ok(());
        }
        match self.roster(&[&stored]).await? {
            Some(mut roster) => self.assign(&mut roster, &stored).await,
            None => Ok(()),
        }
    }

    /// Routes a chat off the caller's path: a visitor starting a chat does not wait for it.
    /// The sweep catches anything this misses.
    pub(crate) fn route_soon(&self, chat: ChatId) {
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(err) = engine.route(chat).await {
                tracing::debug!(error = %err, "routing a new chat");
            }
        });
    }

    /// The assignee turns an assigned chat down; it goes to the next candidate.
    pub async fn decline_assignment(&self, session: &Session, chat: ChatId) -> Result<(), Error> {
        self.operator_command(session, chat, &Command::DeclineAssignment)
            .await?;
        self.route(chat).await
    }

    /// One pass of the rules that time moves: operators idle past the inactivity timeout are
    /// signed off; then, over the waiting chats of automatic channels: an assignment past its
    /// acknowledge time, or still unanswered at T2, or held by someone no longer available,
    /// passes to the next candidate; a chat nobody holds is assigned. Every node runs it every
    /// [`SWEEP_EVERY`]; tests call it after moving the clock.
    pub async fn sweep(&self) -> Result<(), Error> {
        self.sign_off_idle().await?;
        // Nothing routes automatically: the waiting chats are not even read.
        let automatic = self.settings().await?.routing == RoutingMode::Automatic
            || self
                .store
                .channels()
                .await
                .map_err(internal)?
                .iter()
                .any(|c| c.settings.routing == Some(RoutingMode::Automatic));
        if !automatic {
            return Ok(());
        }
        let waiting = self.store.waiting_chats().await.map_err(internal)?;
        if waiting.is_empty() {
            return Ok(());
        }
        let Some(mut roster) = self.roster(&waiting.iter().collect::<Vec<_>>()).await? else {
            return Ok(());
        };
        let t2 = i64::from(roster.settings.supervisors_after_seconds) * 1000;
        for chat in waiting {
            if roster.mode(&chat) != RoutingMode::Automatic {
                continue;
            }
            let mut chat = chat;
            if let Some(assigned) = &chat.state.assigned {
                let escalated_at = Timestamp(chat.created_at.0 + t2);
                let why = if !roster.available(assigned.operator) {
                    Some(PassReason::Unavailable)
                } else if roster.now.millis_since(assigned.since) >= roster.settings.assign_ack_ms()
                {
                    Some(PassReason::NoAnswer)
                } else if roster.now >= escalated_at && assigned.since < escalated_at {
                    Some(PassReason::Escalated)
                } else {
                    None
                };
                let Some(why) = why else {
                    continue;
                };
                let operator = assigned.operator;
                let command = Command::PassAssignment { operator, why };
                if self
                    .execute(chat.state.id, &Actor::System, &command)
                    .await?
                    .is_empty()
                {
                    continue;
                }
                if let Some(load) = roster.load.get_mut(&operator) {
                    *load = load.saturating_sub(1);
                }
                chat = self.load(chat.state.id).await?;
            }
            self.assign(&mut roster, &chat).await?;
        }
        Ok(())
    }

    /// Sweeps every [`SWEEP_EVERY`], for as long as the runtime runs.
    pub(crate) fn start_sweeping(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                if let Err(err) = engine.sweep().await {
                    tracing::debug!(error = %err, "sweep");
                }
            }
        });
    }
}
