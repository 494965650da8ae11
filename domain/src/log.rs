//! The action log: who did what to which chat or account, when and from where. Supervisors and
//! admins read it, filtered and a page at a time.

use serde::{Deserialize, Serialize};

use crate::chat::{Command, OfferKind};
use crate::ids::{ChatId, OperatorId};
use crate::time::Timestamp;

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;

/// One recorded action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionEntry {
    /// Position in the log (newest is highest).
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub operator: OperatorId,
    /// Their name at the time.
    pub operator_name: String,
    /// What, as a stable name (see [`ACTIONS`]).
    pub action: String,
    /// The chat it was done in, if any.
    pub chat: Option<ChatId>,
    /// The other object it concerned (an operator's email, a canned message's shortcut…).
    pub object: Option<String>,
    /// The address the request came from.
    pub ip: Option<String>,
}

/// What the log page asks for. Every part is optional; `before` pages back from an entry id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFilter {
    /// Only this operator's actions.
    pub operator: Option<OperatorId>,
    /// Only actions in this chat.
    pub chat: Option<ChatId>,
    /// Only this action.
    pub action: Option<String>,
    /// At or after this time.
    pub from: Option<Timestamp>,
    /// Before this time.
    pub to: Option<Timestamp>,
    /// Entries older than this id (the next page).
    pub before: Option<i64>,
}

/// One page of the log, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionPage {
    /// The entries.
    pub entries: Vec<ActionEntry>,
    /// Pass as `before` for the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// Every action name the log records, for the filter's choices.
pub const ACTIONS: [&str; 46] = [
    "accept",
    "join",
    "watch",
    "invite",
    "transfer",
    "accept_invite",
    "accept_invite_as_observer",
    "assume",
    "decline",
    "withdraw",
    "become_participant",
    "become_observer",
    "leave",
    "kick",
    "close",
    "hold",
    "resume",
    "private_chat",
    "add_operator",
    "edit_operator",
    "disable_operator",
    "enable_operator",
    "save_canned",
    "delete_canned",
    "save_bubble",
    "change_channel",
    "create_channel",
    "edit_channel",
    "set_channel_operators",
    "join_channel",
    "leave_channel",
    "save_settings",
    "login",
    "login_failed",
    "logout",
    "change_password",
    "reset_password",
    "lift_ban",
    "create_token",
    "revoke_token",
    "save_webhook",
    "delete_webhook",
    "send_test_email",
    "export_visitor",
    "erase_visitor",
    "email_chat",
];

impl Command {
    /// The action-log name of a chat command, or `None` for messages and notes (the chat's
    /// own history keeps those) and for the visitor's own end.
    pub fn action_name(&self) -> Option<&'static str> {
        use crate::chat::MemberRole;
        Some(match self {
            Self::Accept => "accept",
            Self::Join => "join",
            Self::Watch => "watch",
            Self::Offer {
                kind: OfferKind::Invite,
                ..
            } => "invite",
            Self::Offer {
                kind: OfferKind::Transfer,
                ..
            } => "transfer",
            Self::AcceptInvite {
                role: MemberRole::Observer,
            } => "accept_invite_as_observer",
            Self::AcceptInvite { .. } => "accept_invite",
            Self::AssumeTransfer => "assume",
            Self::DeclineOffer => "decline",
            Self::WithdrawOffer { .. } => "withdraw",
            Self::SwitchRole {
                role: MemberRole::Observer,
            } => "become_observer",
            Self::SwitchRole { .. } => "become_participant",
            Self::Leave => "leave",
            Self::Kick => "kick",
            Self::Close => "close",
            Self::Hold { on: true } => "hold",
            Self::Hold { on: false } => "resume",
            Self::ChangeChannel { .. } => "change_channel",
            Self::PostMessage { .. }
            | Self::AddNote { .. }
            | Self::EndVisit { .. }
            | Self::Rate { .. }
            | Self::StartCall { .. }
            | Self::EndCall { .. }
            | Self::Assign { .. }
            | Self::PassAssignment { .. }
            | Self::SignOff { .. }
            | Self::Return { .. } => return None,
            Self::DeclineAssignment => "decline_assignment",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::ChatAction;

    #[test]
    fn every_console_action_has_a_listed_log_name() {
        let actions = [
            ChatAction::Join,
            ChatAction::Watch,
            ChatAction::AcceptInvite,
            ChatAction::AcceptInviteAsObserver,
            ChatAction::Assume,
            ChatAction::Decline,
            ChatAction::BecomeParticipant,
            ChatAction::BecomeObserver,
            ChatAction::Leave,
            ChatAction::Kick,
            ChatAction::Close,
            ChatAction::Hold,
            ChatAction::Resume,
        ];
        for action in actions {
            let name = action.command().action_name();
            assert!(name.is_some_and(|n| ACTIONS.contains(&n)), "{action:?}");
        }
        assert!(
            Command::Accept
                .action_name()
                .is_some_and(|n| ACTIONS.contains(&n))
        );
        assert_eq!(Command::EndVisit { waited_ms: 0 }.action_name(), None);
    }
}
