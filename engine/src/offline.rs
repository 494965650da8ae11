//! Whether live chat is offered now (V11, A1), and the messages left when it is not: they
//! become tickets (O23).
//!
//! Live chat is off when an admin switched live support off, outside the channel's business
//! hours (in its time zone), or when no operator who could answer is available. The first two
//! are rules: a chat start is refused then. The third is a moment: the bubble offers the
//! message form, but a chat started on a stale view still waits in the queue rather than
//! being turned away.

use domain::channel::Channel;
use domain::followup::{FollowUp, OfflineMessage, OfflineReason, offline_reason};
use domain::hours::BusinessHours;
use domain::reach::SignalReach;
use domain::settings::Settings;
use domain::ticket::{ArticleKind, subject_of_message};
use domain::{Error, Signal, TicketId, Timestamp};
use uuid::Uuid;

use crate::collab::CONSOLES_LIVE_MS;
use crate::store::{NewArticle, NewTicket, PresentOperator, VisitorRecord};
use crate::{Engine, internal};

/// Whether `hours` are open at `at`, in their time zone. An unknown zone (only possible for
/// data written by hand) counts as UTC.
pub(crate) fn within_hours(hours: Option<&BusinessHours>, at: Timestamp) -> bool {
    let Some(hours) = hours else {
        return true;
    };
    let zone = jiff::tz::TimeZone::get(&hours.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(instant) = jiff::Timestamp::from_millisecond(at.0) else {
        return true;
    };
    let local = instant.to_zoned(zone);
    let weekday = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or_default();
    let minute =
        u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).unwrap_or_default();
    hours.is_open(weekday, minute)
}

/// Checks that a time zone name is one the time zone database knows.
pub(crate) fn check_time_zone(hours: Option<&BusinessHours>) -> Result<(), Error> {
    match hours {
        Some(hours) if jiff::tz::TimeZone::get(&hours.time_zone).is_err() => Err(Error::invalid(
            "time_zone",
            format!(
                "\"{}\" is not a time zone: write one like Europe/Paris or America/New_York.",
                hours.time_zone
            ),
        )),
        _ => Ok(()),
    }
}

/// Who is present, for deciding whether anyone could answer.
struct Answering<'a> {
    settings: &'a Settings,
    present: &'a [PresentOperator],
    now: Timestamp,
}

impl Answering<'_> {
    /// Why live chat in `channel` (or in no channel) is not offered now.
    fn reason(&self, channel: Option<&Channel>) -> Option<OfflineReason> {
        let anyone = self.present.iter().any(|p| {
            domain::channel::answered_by(channel, p.operator.id)
                && p.answers_now(self.settings, self.now)
        });
        offline_reason(
            self.settings.live_support,
            within_hours(channel.and_then(|c| c.settings.hours.as_ref()), self.now),
            anyone,
        )
    }
}

impl Engine {
    /// The operators with a console open.
    async fn present_now(&self) -> Result<Vec<PresentOperator>, Error> {
        self.store
            .present_operators(Timestamp(self.now().0 - CONSOLES_LIVE_MS))
            .await
            .map_err(internal)
    }

    /// Why live chat is not offered now in each open channel and outside any: what the bubble
    /// is told at start.
    pub(crate) async fn offline_reasons(
        &self,
        settings: &Settings,
        channels: &[Channel],
    ) -> Result<(Option<OfflineReason>, Vec<Option<OfflineReason>>), Error> {
        let present = self.present_now().await?;
        let answering = Answering {
            settings,
            present: &present,
            now: self.now(),
        };
        Ok((
            answering.reason(None),
            channels.iter().map(|c| answering.reason(Some(c))).collect(),
        ))
    }

    /// Refuses a live chat start while live support is off or the channel is closed. Nobody
    /// being available does not refuse it: the chat waits for the next operator.
    pub(crate) fn refuse_if_closed(
        &self,
        settings: &Settings,
        channel: Option<&Channel>,
    ) -> Result<(), Error> {
        let reason = offline_reason(
            settings.live_support,
            within_hours(channel.and_then(|c| c.settings.hours.as_ref()), self.now()),
            true,
        );
        match reason {
            Some(reason) => Err(domain::followup::offline_error(reason)),
            None => Ok(()),
        }
    }

    /// A visitor leaves a message while live chat is not offered, or asks for a follow-up
    /// after a chat: it becomes an open ticket (O23), with the message as its first article,
    /// that every operator's console hears of.
    pub async fn leave_message(
        &self,
        visitor: &VisitorRecord,
        input: OfflineMessage,
    ) -> Result<FollowUp, Error> {
        let valid = input.validate()?;
        let channel = match input.channel {
            Some(id) => Some(self.open_channel(id).await?),
            None => None,
        };
        let settings = self.settings().await?;
        let present = self.present_now().await?;
        let reason = Answering {
            settings: &settings,
            present: &present,
            now: self.now(),
        }
        .reason(channel.as_ref())
        // Live chat is offered: the bubble offers the form only after a chat, for a follow-up.
        .unwrap_or(OfflineReason::FollowUpRequest);
        let follow_up = FollowUp {
            id: TicketId(Uuid::now_v7()),
            visitor: Some(visitor.id),
            channel: channel.map(|c| c.id),
            name: if valid.name.is_empty() {
                visitor.name.clone().unwrap_or_default()
            } else {
                valid.name
            },
            email: valid.email,
            message: valid.message,
            reason,
            created_at: self.now(),
            closed: None,
        };
        let deliveries = self.offline_message_deliveries(&follow_up).await?;
        let ticket = NewTicket {
            id: follow_up.id,
            subject: subject_of_message(&follow_up.message),
            assignee: None,
            channel: follow_up.channel,
            visitor: follow_up.visitor,
            name: follow_up.name.clone(),
            email: follow_up.email.clone(),
            reason: Some(reason),
            created_at: follow_up.created_at,
        };
        let first = NewArticle {
            kind: ArticleKind::Message,
            author: if follow_up.name.is_empty() {
                follow_up.email.clone()
            } else {
                follow_up.name.clone()
            },
            body: follow_up.message.clone(),
            chat: None,
            recipient: None,
            created_at: follow_up.created_at,
        };
        self.store
            .insert_ticket(&ticket, &first, &deliveries)
            .await
            .map_err(internal)?;
        self.signal(Signal::TicketsChanged, SignalReach::all_operators(None));
        Ok(follow_up)
    }
}
