//! Visitors on the site (O25, V6): their page views, the live list and profile operators
//! see, and proactive invitations from an operator to a visitor, through to the chat an
//! accepted one opens.
//!
//! Presence lives in the database: every node marks the visitors whose pages hold a live
//! channel to it as seen, every [`VISITOR_KEEP_MS`]; a visitor not seen for the configured
//! time (a minute by default) has left, on whichever node their pages were, even one that
//! died. The consoles are told that the list changed at most about once a second per node.

use std::sync::atomic::Ordering;
use std::time::Duration;

use domain::api::{PageView, VisitorChat};
use domain::chat::{ChatState, MessageBody, parse_display_name};
use domain::reach::SignalReach;
use domain::settings::Availability;
use domain::visitor::{
    AcceptInvitation, INVITATION_TTL_MS, Invitation, InvitationStatus, InviteVisitor, LiveVisitor,
    MAX_TRAIL, VISITOR_KEEP_MS, VISITORS_PAGE, VisitorFilter, VisitorList, VisitorProfile, label,
    parse_invitation_text,
};
use domain::{ChatId, Error, ErrorCode, InvitationId, Signal, Timestamp, VisitorId};
use uuid::Uuid;

use crate::collab::visitor_info;
use crate::store::{
    ChatWrite, LiveVisitorRecord, NewEvent, PageViewRecord, StoreError, VisitorRecord,
};
use crate::{Engine, Session, internal};

/// Longest page address or title kept, in bytes.
const MAX_PAGE_BYTES: usize = 2048;
/// Longest language tag kept.
const MAX_LANGUAGE_BYTES: usize = 35;
/// How often a node tells consoles that the list changed, at most.
const TELL_EVERY: Duration = Duration::from_secs(1);
/// How often (in one-second ticks) the chats of visitors who left are ended.
const END_EVERY_TICKS: u32 = 5;
/// Earlier chats listed in a profile.
const PROFILE_CHATS: u32 = 20;

fn cut(text: &str, most: usize) -> &str {
    let mut end = text.len().min(most);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn gone() -> Error {
    Error::new(
        ErrorCode::VisitorGone,
        "That visitor is not on the site any more.",
    )
}

fn closed() -> Error {
    Error::new(
        ErrorCode::InvitationClosed,
        "This invitation was answered already, or it expired.",
    )
}

impl Engine {
    /// Marks the visitors whose pages hold a stream on this node as still on the site: the
    /// node's watch does it every [`VISITOR_KEEP_MS`]; a test that moves the clock calls it.
    pub async fn keep_visitors(&self) -> Result<(), Error> {
        let ids = self.bus.visitor_ids();
        if ids.is_empty() {
            return Ok(());
        }
        self.store
            .keep_visitors(&ids, self.now())
            .await
            .map_err(internal)
    }

    /// Ends the visitor's part of the open chats whose visitor has had no page of the site
    /// open for the grace period (V8): closing their last tab is leaving, while a reload or a
    /// move to another page is back well within it. Runs on every node (a chat ended by one
    /// is simply no longer open for the others); tests call it after moving the clock.
    pub async fn end_departed_visits(&self) -> Result<usize, Error> {
        let departed = self
            .store
            .departed_chats(self.on_site_since(), 100)
            .await
            .map_err(internal)?;
        let mut ended = 0;
        for (chat, visitor) in departed {
            let Ok(stored) = self.load(chat).await else {
                continue;
            };
            let waited_ms = self.now().millis_since(stored.created_at);
            let done = self
                .execute(
                    chat,
                    &domain::Actor::Visitor(visitor),
                    &domain::Command::EndVisit { waited_ms },
                )
                .await;
            if done.is_ok() {
                ended += 1;
                self.visitors_moved();
            }
        }
        Ok(ended)
    }

    /// Tells every console that the visitor list changed, if it did since the last time.
    /// The watch does it every second; tests call it to flush.
    pub fn tell_visitors_moved(&self) {
        if self.visitors_moved.swap(false, Ordering::AcqRel) {
            self.signal(Signal::VisitorsChanged, SignalReach::all_operators(None));
        }
    }

    fn visitors_moved(&self) {
        self.visitors_moved.store(true, Ordering::Release);
    }

    pub(crate) fn start_visitor_watch(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            let keep_every = u32::try_from(VISITOR_KEEP_MS / 1000).unwrap_or(15).max(1);
            let mut tick = tokio::time::interval(TELL_EVERY);
            let mut ticks: u32 = 0;
            loop {
                tick.tick().await;
                engine.tell_visitors_moved();
                ticks = ticks.wrapping_add(1);
                if ticks.is_multiple_of(keep_every)
                    && let Err(err) = engine.keep_visitors().await
                {
                    tracing::debug!(error = %err, "keeping visitors on the site");
                }
                if ticks.is_multiple_of(END_EVERY_TICKS)
                    && let Err(err) = engine.end_departed_visits().await
                {
                    tracing::debug!(error = %err, "ending departed visitors' chats");
                }
            }
        });
    }

    /// Since when a visitor seen counts as on the site.
    pub(crate) fn on_site_since(&self) -> Timestamp {
        Timestamp(self.now().0 - self.config.visitor_gone_ms)
    }

    /// The visitor opened a page of the site: the page joins their trail (a new visit begins
    /// when they had left), the consoles' list is refreshed, and the operators of their open
    /// chat hear where they are.
    pub async fn visitor_page(&self, visitor: &VisitorRecord, page: PageView) -> Result<(), Error> {
        let url = page.url.trim();
        if url.is_empty() || url.len() > MAX_PAGE_BYTES {
            return Err(Error::new(
                ErrorCode::InvalidField,
                format!("url must be 1 to {MAX_PAGE_BYTES} bytes."),
            ));
        }
        if !domain::chat::is_web_address(url) {
            return Err(Error::invalid(
                "url",
                "url must be an http or https address.",
            ));
        }
        let title = page
            .title
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| cut(t, MAX_PAGE_BYTES));
        let referrer = page
            .referrer
            .as_deref()
            .map(str::trim)
            .filter(|r| domain::chat::is_web_address(r))
            .map(|r| cut(r, MAX_PAGE_BYTES));
        let language = page
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| cut(l, MAX_LANGUAGE_BYTES));
        let at = self.now();
        self.store
            .record_page_view(
                visitor.id,
                &PageViewRecord {
                    url,
                    title,
                    referrer,
                    language,
                    channel: page.channel,
                },
                at,
                visitor.last_seen_at < self.on_site_since(),
                MAX_TRAIL,
            )
            .await
            .map_err(internal)?;
        self.visitors_moved();
        let latest = self
            .store
            .latest_chat_of_visitor(visitor.id)
            .await
            .map_err(internal)?;
        if let Some((signal, reach)) = latest.and_then(|c| c.state.visitor_moved(url)) {
            self.signal(signal, reach);
        }
        Ok(())
    }

    fn live(&self, record: LiveVisitorRecord) -> LiveVisitor {
        let now = self.now();
        let visitor = record.visitor;
        let invitation = record
            .invitation
            .filter(|(_, _, sent)| *sent >= record.visit_started_at)
            .map(|(status, expires, _)| {
                if status.is_open() && now >= expires {
                    InvitationStatus::Expired
                } else {
                    status
                }
            });
        LiveVisitor {
            id: visitor.id,
            label: label(visitor.name.as_deref(), visitor.id),
            email: visitor.email,
            page_url: visitor.page_url,
            page_title: visitor.page_title,
            pages_viewed: record.pages_viewed,
            visit_started_at: if record.visit_started_at.0 == 0 {
                visitor.created_at
            } else {
                record.visit_started_at
            },
            last_seen: visitor.last_seen_at,
            referrer: visitor.referrer,
            language: visitor.language,
            browser: visitor
                .user_agent
                .as_deref()
                .map(domain::console::browser_summary)
                .unwrap_or_default(),
            channel: record.channel,
            channel_name: record.channel_name,
            chat_id: record.open_chat,
            invitation,
        }
    }

    /// The visitors on the site now that match the filter, a page at a time, newest visit
    /// first (operators).
    pub async fn live_visitors(
        &self,
        session: &Session,
        filter: VisitorFilter,
    ) -> Result<VisitorList, Error> {
        session.require_ready()?;
        let filter = filter.parse()?;
        let (total, records) = self
            .store
            .live_visitors(self.on_site_since(), &filter, VISITORS_PAGE)
            .await
            .map_err(internal)?;
        Ok(VisitorList {
            total,
            visitors: records.into_iter().map(|r| self.live(r)).collect(),
        })
    }

    /// How many visitors are on the site now, for the sidebar's count (operators).
    pub async fn visitors_on_site(&self, session: &Session) -> Result<u64, Error> {
        session.require_ready()?;
        let (total, _) = self
            .store
            .live_visitors(self.on_site_since(), &VisitorFilter::default(), 0)
            .await
            .map_err(internal)?;
        Ok(total)
    }

    /// A visitor's profile: the badge, their trail, earlier chats, latest invitation, and the
    /// invitation text this operator starts from (operators).
    pub async fn visitor_profile(
        &self,
        session: &Session,
        id: VisitorId,
    ) -> Result<VisitorProfile, Error> {
        session.require_ready()?;
        let record = self
            .store
            .live_visitor(id)
            .await
            .map_err(internal)?
            .ok_or_else(gone)?;
        let online = record.visitor.last_seen_at >= self.on_site_since();
        let channel = record.channel;
        let name = record.visitor.name.clone().unwrap_or_default();
        let info = visitor_info(name, record.visitor.clone());
        let visitor = self.live(record);
        let trail = self
            .store
            .visitor_trail(id, MAX_TRAIL)
            .await
            .map_err(internal)?;
        let chats = self
            .store
            .visitor_chat_list(id, PROFILE_CHATS)
            .await
            .map_err(internal)?;
        let invitation = self
            .store
            .latest_invitation(id)
            .await
            .map_err(internal)?
            .map(|mut i| {
                i.status = i.status_at(self.now());
                i
            });
        let (_, default_invitation) = self.invitation_for(session, channel).await?;
        Ok(VisitorProfile {
            visitor,
            online,
            info,
            trail,
            chats,
            invitation,
            default_invitation,
        })
    }

    /// The name this operator signs invitations with, and the default invitation text, for
    /// a visitor on a page of `channel`.
    async fn invitation_for(
        &self,
        session: &Session,
        channel: Option<domain::ChannelId>,
    ) -> Result<(String, String), Error> {
        let settings = self.settings().await?;
        let channel = match channel {
            Some(id) => self
                .store
                .channels()
                .await
                .map_err(internal)?
                .into_iter()
                .find(|c| c.id == id),
            None => None,
        };
        let own = session.operator.invitation_name.trim();
        let own = if own.is_empty() {
            session.operator.display_name()
        } else {
            own
        };
        let name = channel
            .as_ref()
            .and_then(|c| c.settings.invitation_name.clone())
            .unwrap_or_else(|| own.to_owned());
        let text = settings.invitation(
            channel.as_ref().map(|c| (c.name.as_str(), &c.settings)),
            own,
        );
        Ok((name, text))
    }

    /// Sends a visitor on the site an invitation to chat (O25). Only an operator who is
    /// online and available may; the visitor must be on the site and not in a chat. Their
    /// pages show it; any invitation still open before is closed.
    pub async fn invite_visitor(
        &self,
        session: &Session,
        input: InviteVisitor,
    ) -> Result<Invitation, Error> {
        session.require_ready()?;
        let message = parse_invitation_text(&input.message)?;
        let me = session.operator.id;
        let settings = self.settings().await?;
        let available = self
            .present()
            .await?
            .into_iter()
            .find(|(present, _)| present.id == me)
            .is_some_and(|(present, idle)| {
                !present.unavailable && settings.availability(idle) != Availability::Gone
            });
        if !available {
            return Err(Error::new(
                ErrorCode::OperatorUnavailable,
                "Set yourself Available, with the console open, to invite visitors.",
            ));
        }
        let record = self
            .store
            .live_visitor(input.visitor_id)
            .await
            .map_err(internal)?
            .filter(|r| r.visitor.last_seen_at >= self.on_site_since())
            .ok_or_else(gone)?;
        if record.open_chat.is_some() {
            return Err(Error::new(
                ErrorCode::ChatAlreadyOpen,
                "That visitor is in a chat already.",
            ));
        }
        let (name, _) = self.invitation_for(session, record.channel).await?;
        let at = self.now();
        let invitation = Invitation {
            id: InvitationId(Uuid::now_v7()),
            visitor_id: record.visitor.id,
            operator_id: me,
            operator_name: name,
            message,
            status: InvitationStatus::Sent,
            sent_at: at,
            expires_at: Timestamp(at.0 + INVITATION_TTL_MS),
            chat_id: None,
        };
        self.store
            .insert_invitation(&invitation)
            .await
            .map_err(internal)?;
        self.signal(
            Signal::Invited {
                invitation_id: invitation.id,
                operator_name: invitation.operator_name.clone(),
                message: invitation.message.clone(),
            },
            SignalReach::visitor(invitation.visitor_id),
        );
        self.visitors_moved();
        Ok(invitation)
    }

    /// The visitor's open invitation, if any: a page loaded after it was sent shows it too.
    pub async fn open_invitation(
        &self,
        visitor: &VisitorRecord,
    ) -> Result<Option<Invitation>, Error> {
        let now = self.now();
        Ok(self
            .store
            .latest_invitation(visitor.id)
            .await
            .map_err(internal)?
            .filter(|i| i.status_at(now).is_open()))
    }

    /// The visitor's invitation, theirs only.
    async fn own_invitation(
        &self,
        visitor: &VisitorRecord,
        id: InvitationId,
    ) -> Result<Invitation, Error> {
        self.store
            .invitation(id)
            .await
            .map_err(internal)?
            .filter(|i| i.visitor_id == visitor.id)
            .ok_or_else(|| Error::new(ErrorCode::NotFound, "No such invitation."))
    }

    /// Records the visitor's answer and tells the inviting operator.
    async fn answer(
        &self,
        invitation: &Invitation,
        to: InvitationStatus,
        chat: Option<ChatId>,
    ) -> Result<(), Error> {
        let now = self.now();
        let from = invitation.status_at(now);
        let to = from.answer(to)?;
        if from == to && chat.is_none() {
            return Ok(());
        }
        let done = self
            .store
            .answer_invitation(invitation.id, from, to, chat, now)
            .await
            .map_err(internal)?;
        if !done {
            return Err(closed());
        }
        self.visitors_moved();
        // An accepted invitation is told once its chat exists.
        if to == InvitationStatus::Accepted {
            return Ok(());
        }
        self.signal(
            Signal::InvitationChanged {
                invitation_id: invitation.id,
                visitor_id: invitation.visitor_id,
                status: to,
                chat_id: chat,
            },
            SignalReach {
                visitor: None,
                operators: vec![invitation.operator_id],
                all_operators: false,
                sender: None,
            },
        );
        Ok(())
    }

    /// The visitor's page showed the invitation.
    pub async fn invitation_seen(
        &self,
        visitor: &VisitorRecord,
        id: InvitationId,
    ) -> Result<(), Error> {
        let invitation = self.own_invitation(visitor, id).await?;
        self.answer(&invitation, InvitationStatus::Seen, None).await
    }

    /// The visitor closed the invitation.
    pub async fn decline_invitation(
        &self,
        visitor: &VisitorRecord,
        id: InvitationId,
    ) -> Result<(), Error> {
        let invitation = self.own_invitation(visitor, id).await?;
        self.answer(&invitation, InvitationStatus::Declined, None)
            .await
    }

    /// Start Chat: the chat goes straight to the inviting operator, with no queue, and begins
    /// with the invitation's text (O25). The operator must still be online.
    pub async fn accept_invitation(
        &self,
        visitor: &VisitorRecord,
        id: InvitationId,
        input: AcceptInvitation,
    ) -> Result<VisitorChat, Error> {
        let invitation = self.own_invitation(visitor, id).await?;
        if !invitation.status_at(self.now()).is_open() {
            return Err(closed());
        }
        let name = parse_display_name(input.name.as_deref().or(visitor.name.as_deref()), false)?
            .unwrap_or_else(|| domain::chat::ANONYMOUS_VISITOR.to_owned());
        let email = crate::chats::parse_email(input.email)?;
        let present = self
            .present()
            .await?
            .into_iter()
            .any(|(present, _)| present.id == invitation.operator_id);
        if !present {
            return Err(Error::new(
                ErrorCode::OperatorUnavailable,
                "The operator who invited you has just left. Please start a chat instead.",
            ));
        }
        if self.open_chat_of(visitor.id).await?.is_some() {
            return Err(Error::new(
                ErrorCode::ChatAlreadyOpen,
                "You are in a chat already.",
            ));
        }
        // Settled first, so two tabs clicking Start Chat open one chat between them.
        self.answer(&invitation, InvitationStatus::Accepted, None)
            .await?;
        let gave_name = input
            .name
            .as_deref()
            .is_some_and(|n| !n.trim().is_empty())
            .then_some(name.as_str());
        if gave_name.is_some() || email.is_some() {
            self.store
                .set_visitor_contact(visitor.id, gave_name, email.as_deref())
                .await
                .map_err(internal)?;
        }
        let body = MessageBody::parse(&invitation.message)?;
        let chat_id = ChatId(Uuid::now_v7());
        let record = self
            .store
            .live_visitor(visitor.id)
            .await
            .map_err(internal)?;
        let channel = record.and_then(|r| r.channel);
        let (state, recorded) = ChatState::start_invited(
            chat_id,
            visitor.id,
            name,
            channel,
            (invitation.operator_id, invitation.operator_name.clone()),
            body,
            input.voice,
        );
        let events =
            NewEvent::from_recorded(&ChatState::empty(chat_id, Some(visitor.id)), recorded);
        let logged = match self
            .writer
            .commit(ChatWrite::Create {
                chat: state.clone(),
                events,
            })
            .await
        {
            Ok(logged) => logged,
            Err(StoreError::AlreadyOpen) => {
                return Err(Error::new(
                    ErrorCode::ChatAlreadyOpen,
                    "You are in a chat already.",
                ));
            }
            Err(err) => return Err(internal(err)),
        };
        let _ = self
            .store
            .answer_invitation(
                invitation.id,
                InvitationStatus::Accepted,
                InvitationStatus::Accepted,
                Some(chat_id),
                self.now(),
            )
            .await;
        self.signal(
            Signal::InvitationChanged {
                invitation_id: invitation.id,
                visitor_id: visitor.id,
                status: InvitationStatus::Accepted,
                chat_id: Some(chat_id),
            },
            SignalReach {
                visitor: None,
                operators: vec![invitation.operator_id],
                all_operators: false,
                sender: None,
            },
        );
        Ok(VisitorChat {
            id: chat_id,
            status: state.status,
            open: true,
            on_hold: false,
            started_at: logged.first().map_or_else(|| self.now(), |l| l.event.at),
            queue_position: None,
            estimated_wait_seconds: None,
            seen_up_to: domain::EventId::default(),
            events: logged.into_iter().map(|l| l.event.into()).collect(),
        })
    }
}
