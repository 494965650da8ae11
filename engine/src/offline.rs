//! Whether live chat is offered now (V11, A1) and the follow-ups left when it is not.
//!
//! Live chat is off when an admin switched live support off, outside the channel's business
//! hours (in its time zone), or when no operator who could answer is available. The first two
//! are rules: a chat start is refused then. The third is a moment: the bubble offers the
//! message form, but a chat started on a stale view still waits in the queue rather than
//! being turned away.

use domain::channel::Channel;
use domain::console::Role;
use domain::followup::{FollowUp, OfflineMessage, OfflineReason, offline_reason};
use domain::hours::BusinessHours;
use domain::reach::SignalReach;
use domain::settings::Settings;
use domain::{Error, ErrorCode, FollowUpId, Signal, Timestamp};
use uuid::Uuid;

use crate::collab::CONSOLES_LIVE_MS;
use crate::operators::Session;
use crate::store::{PresentOperator, StoreError, VisitorRecord};
use crate::{Engine, internal};

/// Most follow-ups a list shows.
const FOLLOW_UPS_SHOWN: i64 = 500;

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

    /// A visitor leaves a message while live chat is not offered; it becomes a follow-up
    /// every operator's console hears of.
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
            id: FollowUpId(Uuid::now_v7()),
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
        self.store
            .insert_follow_up(&follow_up, &deliveries)
            .await
            .map_err(internal)?;
        self.signal(Signal::FollowUpsChanged, SignalReach::all_operators(None));
        Ok(follow_up)
    }

    /// The open follow-ups, or the closed ones, newest first.
    pub async fn follow_ups(
        &self,
        session: &Session,
        closed: bool,
    ) -> Result<Vec<FollowUp>, Error> {
        session.require_role(Role::Operator)?;
        self.store
            .follow_ups(closed, FOLLOW_UPS_SHOWN)
            .await
            .map_err(internal)
    }

    /// Closes a follow-up once it has been answered.
    pub async fn close_follow_up(&self, session: &Session, id: FollowUpId) -> Result<(), Error> {
        session.require_role(Role::Operator)?;
        match self
            .store
            .close_follow_up(id, session.operator.display_name(), self.now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound) => {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    "That message is already closed.",
                ));
            }
            Err(err) => return Err(internal(err)),
        }
        self.record(session, "close_follow_up", None, Some(id.to_string()))
            .await;
        self.signal(Signal::FollowUpsChanged, SignalReach::all_operators(None));
        Ok(())
    }
}
