//! The storage port: every query Switchboard makes, as one trait with one adapter per database.
//!
//! Each write method is one transaction. Races are settled here, in SQL: a chat command commits
//! only if the chat's version is still the one it was decided on, and a message's idempotency
//! key is unique per chat and author.

pub mod sqlite;

use async_trait::async_trait;
use domain::canned::CannedMessage;
use domain::channel::Channel;
use domain::console::{Monitoring, Role};
use domain::log::{ActionEntry, ActionFilter};
use domain::{
    CannedId, ChannelId, ChatEvent, ChatId, ChatState, EventId, EventKind, OperatorId, Timestamp,
    Visibility, VisitorId,
};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to change does not exist.
    #[error("not found")]
    NotFound,
    /// A concurrent change won (stale version or duplicate key); reload and decide again.
    #[error("conflict")]
    Conflict,
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Stored data could not be read back.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// An operator account as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Id.
    pub id: OperatorId,
    /// Login email (unique, case-insensitive).
    pub email: String,
    /// The user's name.
    pub name: String,
    /// Name shown to visitors; empty means "use `name`".
    pub chat_name: String,
    /// Role.
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Still on the default password.
    pub must_change_password: bool,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Languages they chat in.
    pub languages: Vec<String>,
    /// Name used in invitation texts; empty means the chat name.
    pub invitation_name: String,
}

impl OperatorRecord {
    /// The name visitors see.
    pub fn display_name(&self) -> &str {
        if self.chat_name.trim().is_empty() {
            &self.name
        } else {
            &self.chat_name
        }
    }
}

/// A login session as stored (the token itself is never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Whose session.
    pub operator_id: OperatorId,
    /// Login time.
    pub created_at: Timestamp,
    /// Last request.
    pub last_seen_at: Timestamp,
}

/// A visitor as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorRecord {
    /// Id.
    pub id: VisitorId,
    /// SHA-256 of the bearer token, hex.
    pub token_hash: String,
    /// Name, if given.
    pub name: Option<String>,
    /// Email, if given.
    pub email: Option<String>,
    /// Browser language.
    pub language: Option<String>,
    /// Page the bubble was opened on.
    pub page_url: Option<String>,
    /// Referrer of that page.
    pub referrer: Option<String>,
    /// Custom fields from the snippet, as a JSON object.
    pub fields_json: String,
    /// Created.
    pub created_at: Timestamp,
    /// The browser, as its User-Agent header said.
    pub user_agent: Option<String>,
    /// Title of the page the visitor is on.
    pub page_title: Option<String>,
    /// Last page view or call.
    pub last_seen_at: Timestamp,
}

/// A chat's state with the version it was read at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChat {
    /// What the state machine needs.
    pub state: ChatState,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When the visitor started it.
    pub created_at: Timestamp,
}

/// A committed event with what the streams filter on: its chat's visitor and who may see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The event.
    pub event: ChatEvent,
    /// The chat's visitor (`None` in a private chat between operators).
    pub visitor: Option<VisitorId>,
    /// Who may see it, decided when it was recorded.
    pub visibility: Visibility,
}

/// An open chat an operator is in, with their own settings for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The chat.
    pub chat: StoredChat,
    /// The newest event they have read.
    pub read_up_to: EventId,
    /// Which events alert them.
    pub monitoring: Monitoring,
}

/// The storage port.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Creates an operator. `Conflict` if the email is taken.
    async fn insert_operator(&self, operator: &OperatorRecord) -> Result<(), StoreError>;
    /// Number of operator accounts.
    async fn operator_count(&self) -> Result<i64, StoreError>;
    /// Looks an operator up by email, case-insensitively.
    async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRecord>, StoreError>;
    /// Looks an operator up by id.
    async fn operator_by_id(&self, id: OperatorId) -> Result<Option<OperatorRecord>, StoreError>;
    /// Every operator's account details (not the password) from `operator`; `Conflict` if the
    /// email is taken by someone else.
    async fn update_operator(&self, operator: &OperatorRecord) -> Result<(), StoreError>;
    /// Shared canned messages and the operator's own, by title.
    async fn canned_for(&self, operator: OperatorId) -> Result<Vec<CannedMessage>, StoreError>;
    /// One canned message.
    async fn canned(&self, id: CannedId) -> Result<Option<CannedMessage>, StoreError>;
    /// Creates or replaces a canned message; `Conflict` if its owner already has the shortcut.
    async fn save_canned(&self, message: &CannedMessage, at: Timestamp) -> Result<(), StoreError>;
    /// Deletes a canned message.
    async fn delete_canned(&self, id: CannedId) -> Result<(), StoreError>;
    /// Appends an entry to the action log (its `id` is ignored and assigned).
    async fn insert_action(&self, entry: &ActionEntry) -> Result<(), StoreError>;
    /// Up to `limit` log entries matching `filter`, newest first.
    async fn actions(
        &self,
        filter: &ActionFilter,
        limit: i64,
    ) -> Result<Vec<ActionEntry>, StoreError>;
    /// Every channel with its operators, by name.
    async fn channels(&self) -> Result<Vec<Channel>, StoreError>;
    /// Creates or changes a channel's name, archived flag and settings (not its operators);
    /// `Conflict` if another channel has the name.
    async fn save_channel(&self, channel: &Channel, at: Timestamp) -> Result<(), StoreError>;
    /// Replaces the operators of a channel.
    async fn set_channel_operators(
        &self,
        channel: ChannelId,
        operators: &[OperatorId],
    ) -> Result<(), StoreError>;
    /// Adds an operator to a channel (`serves`) or takes them out.
    async fn set_channel_member(
        &self,
        channel: ChannelId,
        operator: OperatorId,
        serves: bool,
    ) -> Result<(), StoreError>;
    /// A stored setting's JSON document.
    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Stores a setting's JSON document.
    async fn save_setting(&self, key: &str, value: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Ends every session of an operator.
    async fn delete_sessions_of(&self, operator: OperatorId) -> Result<(), StoreError>;
    /// Replaces an operator's password and ends every other session of theirs.
    async fn set_password(
        &self,
        id: OperatorId,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError>;

    /// Stores a new session.
    async fn insert_session(&self, session: &SessionRecord) -> Result<(), StoreError>;
    /// A session with its operator.
    async fn session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(SessionRecord, OperatorRecord)>, StoreError>;
    /// Records use of a session.
    async fn touch_session(&self, token_hash: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Ends a session.
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;

    /// Stores a new visitor.
    async fn insert_visitor(&self, visitor: &VisitorRecord) -> Result<(), StoreError>;
    /// A visitor by the hash of their token.
    async fn visitor_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<VisitorRecord>, StoreError>;
    /// A visitor by id.
    async fn visitor_by_id(&self, id: VisitorId) -> Result<Option<VisitorRecord>, StoreError>;
    /// Records the page a visitor is on.
    async fn visitor_page(
        &self,
        id: VisitorId,
        url: &str,
        title: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Every operator account, by name.
    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError>;

    /// A chat's current state.
    async fn chat(&self, id: ChatId) -> Result<Option<StoredChat>, StoreError>;
    /// The visitor's most recent chat, if any.
    async fn latest_chat_of_visitor(
        &self,
        visitor: VisitorId,
    ) -> Result<Option<StoredChat>, StoreError>;
    /// Creates a chat with its first events, in one transaction.
    async fn create_chat(
        &self,
        chat: &ChatState,
        events: &[(EventKind, Visibility)],
        at: Timestamp,
    ) -> Result<Vec<LoggedEvent>, StoreError>;
    /// Writes a chat's new state and appends its events, in one transaction, only if the chat
    /// is still at `expected_version`; otherwise `Conflict` and nothing is written.
    async fn commit(
        &self,
        chat: &ChatState,
        expected_version: i64,
        events: &[(EventKind, Visibility)],
        at: Timestamp,
    ) -> Result<Vec<LoggedEvent>, StoreError>;
    /// The message an author already posted in a chat under an idempotency key.
    async fn message_by_client_id(
        &self,
        chat: ChatId,
        author_key: &str,
        client_id: &str,
    ) -> Result<Option<ChatEvent>, StoreError>;
    /// A chat's events, oldest first (the caller filters by visibility).
    async fn chat_events(&self, chat: ChatId) -> Result<Vec<LoggedEvent>, StoreError>;
    /// Events of every open chat the operator is in, oldest first (unfiltered).
    async fn events_of_operator_chats(
        &self,
        operator: OperatorId,
    ) -> Result<Vec<LoggedEvent>, StoreError>;
    /// Up to `limit` events after `after`, oldest first, across all chats.
    async fn events_after(
        &self,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError>;
    /// The newest event id (0 when the log is empty).
    async fn last_event_id(&self) -> Result<EventId, StoreError>;

    /// Every visitor chat that is not closed, oldest first.
    async fn open_chats(&self) -> Result<Vec<StoredChat>, StoreError>;
    /// The open chats an operator is in (any role), oldest first.
    async fn chats_of_operator(&self, operator: OperatorId) -> Result<Vec<Membership>, StoreError>;
    /// Sets which events of a chat alert an operator in it.
    async fn set_monitoring(
        &self,
        chat: ChatId,
        operator: OperatorId,
        monitoring: Monitoring,
    ) -> Result<(), StoreError>;
    /// Moves an operator's read marker forward (never back).
    async fn mark_read(
        &self,
        chat: ChatId,
        operator: OperatorId,
        up_to: EventId,
    ) -> Result<(), StoreError>;
}

/// How a message author is keyed for idempotency.
pub fn author_key(author: &domain::Author, visitor: Option<VisitorId>) -> String {
    match author {
        domain::Author::Visitor => format!("v:{}", visitor.map(|v| v.0).unwrap_or_default()),
        domain::Author::Operator { id } => format!("o:{id}"),
    }
}
