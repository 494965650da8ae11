//! The bubble's settings from the snippet generator: read by every bubble at start, changed by
//! admins.

use domain::Error;
use domain::api::{ChannelChoice, WidgetConfig};
use domain::bubble::BubbleSettings;
use domain::console::Role;

use crate::Engine;
use crate::operators::Session;

const KEY: &str = "bubble";

impl Engine {
    /// The saved bubble settings, or the defaults.
    pub async fn bubble_settings(&self) -> Result<BubbleSettings, Error> {
        Ok(self.load_document(KEY).await?.unwrap_or_default())
    }

    /// The saved bubble settings for the snippet generator (admins only).
    pub async fn bubble_settings_for(&self, session: &Session) -> Result<BubbleSettings, Error> {
        session.require_role(Role::Admin)?;
        self.bubble_settings().await
    }

    /// What every bubble is told at start: its look, whether a name is required, and the open
    /// channels (with their own name rule).
    pub async fn widget_config(&self) -> Result<WidgetConfig, Error> {
        let settings = self.settings().await?;
        let open = self.open_channels().await?;
        let (offline, offline_in) = self.offline_reasons(&settings, &open).await?;
        let channels = open
            .into_iter()
            .zip(offline_in)
            .map(|(channel, offline)| ChannelChoice {
                name_required: settings.name_required(Some(&channel.settings)),
                id: channel.id,
                name: channel.name,
                offline,
            })
            .collect();
        let mut config = self
            .bubble_settings()
            .await?
            .config(settings.name_required(None), channels);
        config.offline = offline;
        config.ice_servers = settings.ice_servers;
        Ok(config)
    }

    /// Saves the bubble settings (admins only); invalid fields are named in the error.
    pub async fn save_bubble_settings(
        &self,
        session: &Session,
        title: &str,
        greeting: &str,
        color: &str,
        launcher_label: &str,
    ) -> Result<BubbleSettings, Error> {
        session.require_role(Role::Admin)?;
        let settings = BubbleSettings::parse(title, greeting, color, launcher_label)?;
        self.save_document(KEY, &settings).await?;
        self.record(session, "save_bubble", None, None).await;
        Ok(settings)
    }
}
