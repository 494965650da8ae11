//! Channels (A4, O18, O24): admins create, rename and archive them and set their operators;
//! operators join and leave them and move chats between them. Archived channels keep their
//! chats but take no new ones, and nobody joins them. Every change is signalled to the open
//! consoles, so their My channels filter follows at once.

pub use domain::channel::ChannelForm;
use domain::channel::{Channel, ChannelSettings, parse_name};
use domain::console::Role;
use domain::reach::SignalReach;
use domain::{ChannelId, ChatEvent, ChatId, Command, Error, ErrorCode, OperatorId, Signal};
use uuid::Uuid;

use crate::operators::Session;
use crate::store::StoreError;
use crate::{Engine, internal};

fn unknown_channel() -> Error {
    Error::new(ErrorCode::UnknownChannel, "There is no such open channel.")
}

impl Engine {
    /// Every channel (archived ones too), by name.
    pub async fn channels(&self, session: &Session) -> Result<Vec<Channel>, Error> {
        session.require_ready()?;
        self.store.channels().await.map_err(internal)
    }

    /// The channels chats can be started in or moved to.
    pub(crate) async fn open_channels(&self) -> Result<Vec<Channel>, Error> {
        let mut channels = self.store.channels().await.map_err(internal)?;
        channels.retain(|c| !c.archived);
        Ok(channels)
    }

    /// A channel by id, archived or not.
    pub(crate) async fn channel(&self, id: ChannelId) -> Result<Channel, Error> {
        self.store
            .channels()
            .await
            .map_err(internal)?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(unknown_channel)
    }

    /// An open channel by id; `unknown_channel` if there is none or it is archived.
    pub(crate) async fn open_channel(&self, id: ChannelId) -> Result<Channel, Error> {
        self.open_channels()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(unknown_channel)
    }

    /// Creates or changes a channel (admins only). Its operators are kept as they are.
    pub async fn save_channel(
        &self,
        session: &Session,
        form: ChannelForm,
    ) -> Result<Channel, Error> {
        session.require_role(Role::Admin)?;
        let name = parse_name(&form.name)?;
        let mut settings = ChannelSettings::parse(
            form.name_required,
            &form.invitation_text,
            &form.invitation_name,
        )?;
        let saved = match form.id {
            Some(id) => self.channel(id).await?.settings,
            None => ChannelSettings::default(),
        };
        settings.routing = form.routing;
        settings.hours = match (&form.time_zone, &form.business_hours) {
            (None, None) => saved.hours,
            (zone, schedule) => {
                let saved_zone = saved.hours.as_ref().map(|h| h.time_zone.clone());
                let saved_schedule = saved.hours.as_ref().map(|h| h.schedule());
                domain::hours::BusinessHours::parse(
                    zone.as_deref()
                        .or(saved_zone.as_deref())
                        .unwrap_or_default(),
                    schedule
                        .as_deref()
                        .or(saved_schedule.as_deref())
                        .unwrap_or_default(),
                )?
            }
        };
        crate::offline::check_time_zone(settings.hours.as_ref())?;
        let (channel, action) = match form.id {
            Some(id) => {
                let existing = self.channel(id).await?;
                (
                    Channel {
                        name,
                        archived: form.archived,
                        settings,
                        ..existing
                    },
                    "edit_channel",
                )
            }
            None => (
                Channel {
                    id: ChannelId(Uuid::now_v7()),
                    name,
                    archived: false,
                    operators: Vec::new(),
                    settings,
                },
                "create_channel",
            ),
        };
        match self.store.save_channel(&channel, self.now()).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(Error::invalid(
                    "name",
                    format!("There is already a channel called {}.", channel.name),
                ));
            }
            Err(err) => return Err(internal(err)),
        }
        self.record(session, action, None, Some(channel.name.clone()))
            .await;
        self.signal(Signal::ChannelsChanged, SignalReach::all_operators(None));
        Ok(channel)
    }

    /// Sets who serves a channel (admins only). Every operator must exist.
    pub async fn set_channel_operators(
        &self,
        session: &Session,
        channel: ChannelId,
        operators: Vec<OperatorId>,
    ) -> Result<Channel, Error> {
        session.require_role(Role::Admin)?;
        let existing = self.channel(channel).await?;
        let known: Vec<OperatorId> = self
            .store
            .operators()
            .await
            .map_err(internal)?
            .into_iter()
            .map(|o| o.id)
            .collect();
        if let Some(stranger) = operators.iter().find(|o| !known.contains(o)) {
            return Err(Error::invalid(
                "operators",
                format!("There is no operator {stranger}."),
            ));
        }
        let mut operators = operators;
        operators.sort();
        operators.dedup();
        self.store
            .set_channel_operators(channel, &operators)
            .await
            .map_err(internal)?;
        self.record(
            session,
            "set_channel_operators",
            None,
            Some(existing.name.clone()),
        )
        .await;
        self.signal(Signal::ChannelsChanged, SignalReach::all_operators(None));
        Ok(Channel {
            operators,
            ..existing
        })
    }

    /// The operator joins an open channel, or leaves any channel. Answers every channel.
    pub async fn join_channel(
        &self,
        session: &Session,
        channel: ChannelId,
        join: bool,
    ) -> Result<Vec<Channel>, Error> {
        session.require_ready()?;
        let target = if join {
            self.open_channel(channel).await?
        } else {
            self.channel(channel).await?
        };
        let me = session.operator.id;
        if target.serves(me) != join {
            self.store
                .set_channel_member(channel, me, join)
                .await
                .map_err(internal)?;
            let action = if join {
                "join_channel"
            } else {
                "leave_channel"
            };
            self.record(session, action, None, Some(target.name)).await;
            self.signal(Signal::ChannelsChanged, SignalReach::all_operators(None));
        }
        self.store.channels().await.map_err(internal)
    }

    /// Moves a chat to another open channel: anyone may move a waiting chat, its participants
    /// an active one (the domain decides).
    pub async fn move_chat(
        &self,
        session: &Session,
        chat: ChatId,
        channel: ChannelId,
    ) -> Result<Vec<ChatEvent>, Error> {
        session.require_ready()?;
        let target = self.open_channel(channel).await?;
        self.operator_command(
            session,
            chat,
            &Command::ChangeChannel {
                channel,
                channel_name: target.name,
            },
        )
        .await
    }
}
