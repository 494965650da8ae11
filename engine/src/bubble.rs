//! The bubble's settings from the snippet generator: read by every bubble at start, changed by
//! admins.

use domain::Error;
use domain::api::WidgetConfig;
use domain::bubble::BubbleSettings;
use domain::console::Role;

use crate::operators::Session;
use crate::{Engine, internal, now};

const KEY: &str = "bubble";

impl Engine {
    /// The saved bubble settings, or the defaults.
    pub async fn bubble_settings(&self) -> Result<BubbleSettings, Error> {
        match self.store.setting(KEY).await.map_err(internal)? {
            Some(json) => serde_json::from_str(&json).map_err(|err| {
                tracing::error!(error = %err, "stored bubble settings");
                Error::internal()
            }),
            None => Ok(BubbleSettings::default()),
        }
    }

    /// The saved bubble settings for the snippet generator (admins only).
    pub async fn bubble_settings_for(&self, session: &Session) -> Result<BubbleSettings, Error> {
        session.require_role(Role::Admin)?;
        self.bubble_settings().await
    }

    /// What every bubble is told at start.
    pub async fn widget_config(&self) -> Result<WidgetConfig, Error> {
        Ok(self
            .bubble_settings()
            .await?
            .config(self.config.visitor_name_required))
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
        let json = serde_json::to_string(&settings).map_err(|err| {
            tracing::error!(error = %err, "bubble settings");
            Error::internal()
        })?;
        self.store
            .save_setting(KEY, &json, now())
            .await
            .map_err(internal)?;
        self.record(session, "save_bubble", None, None).await;
        Ok(settings)
    }
}
