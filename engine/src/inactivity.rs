//! Signing off operators who stopped working (O17). Past the inactivity timeout an operator
//! is signed off: taken out of their channels (kept, to rejoin), their pending invitations and
//! transfers withdrawn, and their chats — which stay theirs — flagged to supervisors. Their
//! console says why and offers Rejoin.
//!
//! The sweep does it on every node; the store signs an operator off once, and only if they
//! are still idle, so two nodes or a keystroke racing the sweep cannot do it twice or wrongly.

use domain::reach::SignalReach;
use domain::settings::Availability;
use domain::{Actor, Command, Error, OperatorId, Signal, Timestamp};

use crate::collab::CONSOLES_LIVE_MS;
use crate::operators::Session;
use crate::{Engine, internal};

impl Engine {
    /// Signs off every present operator idle past the inactivity timeout.
    pub(crate) async fn sign_off_idle(&self) -> Result<(), Error> {
        let now = self.now();
        let settings = self.settings().await?;
        let present = self
            .store
            .present_operators(Timestamp(now.0 - CONSOLES_LIVE_MS))
            .await
            .map_err(internal)?;
        let timeout = i64::from(settings.inactivity_timeout_minutes) * 60_000;
        for operator in present {
            if operator.operator.signed_off_at.is_some()
                || settings.availability(now.millis_since(operator.active_at)) != Availability::Gone
            {
                continue;
            }
            let id = operator.operator.id;
            let signed_off = self
                .store
                .sign_off(id, now, Timestamp(now.0 - timeout))
                .await
                .map_err(internal)?;
            if signed_off.is_some() {
                tracing::info!(operator = %id, "signed off for inactivity");
                self.for_chats_of(id, &Command::SignOff { operator: id })
                    .await?;
                self.signal(Signal::ChannelsChanged, SignalReach::all_operators(None));
                // Their console reconnects and reads why it was signed off.
                self.revoke(id);
            }
        }
        Ok(())
    }

    /// Runs a system command on every open chat the operator is in or has an offer in.
    async fn for_chats_of(&self, operator: OperatorId, command: &Command) -> Result<(), Error> {
        let open = self.store.open_chats().await.map_err(internal)?;
        for chat in open {
            let concerned = chat.state.has_operator(operator)
                || chat
                    .state
                    .offers
                    .iter()
                    .any(|o| o.target == operator || o.from == operator);
            if concerned {
                self.execute(chat.state.id, &Actor::System, command).await?;
            }
        }
        Ok(())
    }

    /// The signed-off operator is back: into the channels they were taken out of, active
    /// again, and their flags come off their chats.
    pub async fn rejoin(&self, session: &Session) -> Result<(), Error> {
        let me = session.operator.id;
        self.store.rejoin(me, self.now()).await.map_err(internal)?;
        self.note_activity_at(session, self.now()).await?;
        self.for_chats_of(me, &Command::Return { operator: me })
            .await?;
        self.record(session, "rejoin", None, None).await;
        self.signal(Signal::ChannelsChanged, SignalReach::all_operators(None));
        self.signal(
            Signal::Presence {
                operator: me,
                name: session.operator.display_name().to_owned(),
                online: true,
                unavailable: session.operator.unavailable,
            },
            SignalReach::all_operators(Some(me)),
        );
        Ok(())
    }
}
