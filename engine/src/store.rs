//! The storage port: every query Switchboard makes, as one trait per area ([`ChatStore`],
//! [`AccountStore`], [`AdminStore`]) that together make [`Store`], with one adapter per database
//! (a file per area in each).
//!
//! Each write method is one transaction. Races are settled here, in SQL: a chat command commits
//! only if the chat is still in the state it was decided on, and a message's idempotency
//! key is unique per chat and author.

pub mod postgres;
pub mod sqlite;

mod history_rows;
mod mail_rows;
mod ticket_rows;

use async_trait::async_trait;
use domain::canned::CannedMessage;
use domain::channel::Channel;
use domain::console::{Monitoring, Role};
use domain::followup::OfflineReason;
use domain::history::{HistoryHit, HistoryScope, ValidQuery};
use domain::log::{ActionEntry, ActionFilter};
use domain::mail::{MailPurpose, MailState, OutboxEntry};
use domain::reach::{DashboardScope, Interest, Recipient};
use domain::ticket::{ArticleKind, Ticket, TicketFilter, TicketScope, TicketStatus, TicketView};
use domain::token::AccessToken;
use domain::visitor::{Invitation, InvitationStatus, PageVisit, PastChat, VisitorFilter};
use domain::webhook::{Delivery, DeliveryState, Webhook, WebhookEvent};
use domain::{
    AccessTokenId, CannedId, ChannelId, ChatEvent, ChatId, ChatState, EventId, EventKind,
    InvitationId, OperatorId, TicketId, Timestamp, Visibility, VisitorId, WebhookId,
};

/// A store chosen by its URL's scheme: `sqlite:` (the embedded default) or `postgres:` /
/// `postgresql:` (several nodes on one database).
#[derive(Clone, Debug)]
pub enum Database {
    /// One SQLite file, one process.
    Sqlite(sqlite::SqliteStore),
    /// A PostgreSQL database any number of nodes share.
    Postgres(postgres::PgStore),
}

impl Database {
    /// Opens (creating and migrating if needed) the database at `url`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Self::Postgres(postgres::PgStore::connect(url).await?))
        } else {
            Ok(Self::Sqlite(sqlite::SqliteStore::connect(url).await?))
        }
    }

    /// Whether `url` names a backend this build supports.
    pub fn supports(url: &str) -> bool {
        ["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|scheme| url.starts_with(scheme))
    }

    /// The store as the engine takes it.
    pub fn store(&self) -> std::sync::Arc<dyn Store> {
        match self {
            Self::Sqlite(store) => std::sync::Arc::new(store.clone()),
            Self::Postgres(store) => std::sync::Arc::new(store.clone()),
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

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
    /// The visitor already has an open chat (held by a unique index).
    #[error("the visitor already has an open chat")]
    AlreadyOpen,
    /// The operator would take part in more chats than the limit allows.
    #[error("the operator is at the chat limit")]
    AtCapacity,
    /// The database is out of reach; nothing was written.
    #[error("the database is unavailable")]
    Unavailable,
    /// The write was in a transaction that could not commit (the cause is logged once).
    #[error("the transaction could not commit")]
    NotCommitted,
}

impl StoreError {
    /// Whether the database is out of reach (connection lost, pool closed, disk failing), as
    /// opposed to a query the database refused: the client is told to retry, not that the
    /// server is broken.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable => true,
            Self::Database(err) => match err {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_) => true,
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    match code.parse::<i32>() {
                        // SQLite's result codes, primary in the low byte: busy, locked, I/O
                        // error, disk full, cannot open.
                        Ok(sqlite) if code.len() < 5 => {
                            matches!(sqlite & 0xff, 5 | 6 | 10 | 13 | 14)
                        }
                        // PostgreSQL's SQLSTATE: connection exceptions, shutdown, too many
                        // connections, a lock or an idle transaction that timed out.
                        _ => {
                            code.starts_with("08")
                                || code.starts_with("57P")
                                || matches!(code.as_ref(), "53300" | "55P03" | "25P03")
                        }
                    }
                }),
                _ => false,
            },
            _ => false,
        }
    }
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
    /// When the current password was given (at creation, by a change or an admin's reset).
    pub password_set_at: Timestamp,
    /// Set Unavailable by hand.
    pub unavailable: bool,
    /// When the operator was signed off for inactivity (O17), until they rejoin.
    pub signed_off_at: Option<Timestamp>,
    /// The channels they were taken out of then, to rejoin.
    pub signed_off_channels: Vec<ChannelId>,
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

/// An operator with a console open on a live node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentOperator {
    /// Who.
    pub operator: OperatorRecord,
    /// When they last did something (typed, clicked, sent a command).
    pub active_at: Timestamp,
}

impl PresentOperator {
    /// Whether they could take a chat at `now`: active (not away or gone), not Unavailable,
    /// not signed off. What routing assigns to and what keeps live chat offered.
    pub fn answers_now(&self, settings: &domain::settings::Settings, now: Timestamp) -> bool {
        self.operator.signed_off_at.is_none()
            && !self.operator.unavailable
            && settings.availability(now.millis_since(self.active_at))
                == domain::settings::Availability::Active
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
    /// Kicked: cannot start a chat before this time.
    pub banned_until: Option<Timestamp>,
}

/// Recent failed logins, for the login limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoginFailures {
    /// How many for the email, and when the oldest of them was.
    pub by_email: (u32, Option<Timestamp>),
    /// How many from the address, and when the oldest of them was.
    pub by_address: (u32, Option<Timestamp>),
}

/// A chat's stored state exactly as it was read. A command decided on it commits only while
/// the chat is still in that state: a change decided on anything else is decided again, while
/// messages and notes, which leave the state as it is, never get in each other's way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision(pub(crate) String);

/// A chat's state with the revision and version it was read at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredChat {
    /// What the state machine needs.
    pub state: ChatState,
    /// How many commands have changed it.
    pub version: i64,
    /// The state as stored, which a write decided on it must still find.
    pub revision: Revision,
    /// When the visitor started it.
    pub created_at: Timestamp,
}

/// A committed event with its reach: its chat's visitor, who may see it, and the operators
/// who were in the chat around it (see `domain::reach`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedEvent {
    /// The event.
    pub event: ChatEvent,
    /// The chat's visitor (`None` in a private chat between operators).
    pub visitor: Option<VisitorId>,
    /// Who may see it, decided when it was recorded.
    pub visibility: Visibility,
    /// The operators in the chat just before or just after it.
    pub members: Vec<OperatorId>,
    /// Where it belongs on dashboards (`None`: not a dashboard change, or recorded before
    /// scopes were kept).
    pub dashboard: Option<DashboardScope>,
}

impl LoggedEvent {
    /// Whether the event reaches `recipient`'s streams (an operator's with `interest`).
    pub fn reaches(&self, recipient: Recipient, interest: &Interest) -> bool {
        domain::reach::event_reaches(
            recipient,
            interest,
            &self.event.kind,
            self.visitor,
            self.visibility,
            &self.members,
            self.dashboard.as_ref(),
        )
    }

    /// Whether every operator's dashboard shows it.
    pub fn on_dashboard(&self) -> bool {
        domain::reach::on_dashboard(&self.event.kind, self.visitor)
    }
}

/// An event to record, with its reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// Who may see it.
    pub visibility: Visibility,
    /// The operators in the chat just before or just after it.
    pub members: Vec<OperatorId>,
    /// Where it belongs on dashboards; `None` unless it is a dashboard change.
    pub dashboard: Option<DashboardScope>,
}

impl NewEvent {
    /// The events a command recorded on `before`, each with its reach.
    pub fn from_recorded(before: &ChatState, recorded: Vec<(EventKind, Visibility)>) -> Vec<Self> {
        let around = domain::reach::reach_around(before, &recorded);
        recorded
            .into_iter()
            .zip(around)
            .map(|((kind, visibility), around)| Self {
                kind,
                visibility,
                members: around.members,
                dashboard: around.dashboard,
            })
            .collect()
    }
}

/// A per-operator chat limit a write must respect: after it, `operator` may take part in at
/// most `max` open visitor chats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// Who.
    pub operator: OperatorId,
    /// The most open visitor chats they may take part in.
    pub max: u32,
}

/// One chat's change, committed with others in one transaction but succeeding or failing on
/// its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatWrite {
    /// A new chat with its first events. `AlreadyOpen` if its visitor has an open chat.
    Create {
        /// The chat as its first events left it.
        chat: ChatState,
        /// Its first events.
        events: Vec<NewEvent>,
    },
    /// Events that leave the chat's state as it is (messages, notes), only if the chat is
    /// still in the state `expected` they were decided on (else `Conflict`). Nothing but the
    /// events is written, so such writes never get in each other's way.
    Append {
        /// The chat's state, as it was and stays.
        chat: ChatState,
        /// The revision the command was decided on.
        expected: Revision,
        /// What happened.
        events: Vec<NewEvent>,
    },
    /// A chat's new state with the events that led there, only if the chat is still at
    /// `expected` (else `Conflict`), and within `capacity` (else `AtCapacity`).
    Update {
        /// The state after the events.
        chat: ChatState,
        /// The revision the command was decided on.
        expected: Revision,
        /// What happened.
        events: Vec<NewEvent>,
        /// The limit the acting operator must stay within, if the command adds to their chats.
        capacity: Option<Capacity>,
    },
}

/// What an operator's console loads, read in one consistent cut of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorView {
    /// The newest event in the cut; the console's stream resumes after it.
    pub last_event_id: EventId,
    /// Every open visitor chat.
    pub open: Vec<StoredChat>,
    /// The open chats the operator is in.
    pub mine: Vec<Membership>,
    /// The events of those chats, oldest first (unfiltered).
    pub events: Vec<LoggedEvent>,
}

/// What a visitor's bubble loads, read in one consistent cut of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorCut {
    /// The newest event in the cut; the bubble's stream resumes after it.
    pub last_event_id: EventId,
    /// The visitor's latest chat with its events (unfiltered).
    pub latest: Option<(StoredChat, Vec<LoggedEvent>)>,
}

/// An open chat an operator is in, with their own settings for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The chat.
    pub chat: StoredChat,
    /// The newest event they have read.
    pub read_up_to: EventId,
    /// The newest event the visitor has seen.
    pub visitor_seen_up_to: EventId,
    /// Which events alert them.
    pub monitoring: Monitoring,
}

/// What another process told this one through the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Events were committed: read the log.
    Events,
    /// A message another node's engine broadcast (signals, revocations), as it sent it.
    Message(String),
}

/// A live feed of notices from the database.
#[async_trait]
pub trait Notices: Send {
    /// The next notice. An error means notices may have been lost meanwhile: subscribe again
    /// and catch up from the log.
    async fn next(&mut self) -> Result<Notice, StoreError>;
}

/// Chats and their visitors: the event log and its consistent cuts, who is in which chat
/// (membership, read markers, monitoring), and the notices that keep nodes in step.
#[async_trait]
pub trait ChatStore: Send + Sync + 'static {
    /// Whether other processes may write to this database too (PostgreSQL): then a node
    /// publishes what it reads from the log, in log order, rather than what it commits.
    fn is_shared(&self) -> bool {
        false
    }
    /// Subscribes to notices from the other processes; `None` for a database only this
    /// process uses.
    async fn notices(&self) -> Result<Option<Box<dyn Notices>>, StoreError> {
        Ok(None)
    }
    /// Sends a message to every process's notices (its own included).
    async fn broadcast(&self, _message: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// Stores a new visitor.
    async fn insert_visitor(&self, visitor: &VisitorRecord) -> Result<(), StoreError>;
    /// A visitor by the hash of their token.
    async fn visitor_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<VisitorRecord>, StoreError>;
    /// A visitor by id.
    async fn visitor_by_id(&self, id: VisitorId) -> Result<Option<VisitorRecord>, StoreError>;
    /// The visitors who gave this email address (any case), most recent first.
    async fn visitors_by_email(&self, email: &str) -> Result<Vec<VisitorRecord>, StoreError>;
    /// Records a visitor's use of their token.
    async fn touch_visitor(&self, id: VisitorId, at: Timestamp) -> Result<(), StoreError>;
    /// Bars a visitor from starting chats until `until`, or lifts the ban (`None`).
    async fn set_visitor_ban(
        &self,
        id: VisitorId,
        until: Option<Timestamp>,
    ) -> Result<(), StoreError>;
    /// Visitors banned past `now`, soonest free first.
    async fn banned_visitors(&self, now: Timestamp) -> Result<Vec<VisitorRecord>, StoreError>;
    /// Visitors seen (a page view or a call) since `since`, most recently seen first.
    async fn visitors_seen_since(
        &self,
        since: Timestamp,
        limit: i64,
    ) -> Result<Vec<VisitorRecord>, StoreError>;

    /// A chat's current state.
    async fn chat(&self, id: ChatId) -> Result<Option<StoredChat>, StoreError>;
    /// The visitor's most recent chat, if any.
    async fn latest_chat_of_visitor(
        &self,
        visitor: VisitorId,
    ) -> Result<Option<StoredChat>, StoreError>;
    /// Commits chat writes together: one transaction, one flush to disk. Each write succeeds
    /// or fails on its own (a refused one writes nothing and leaves the others alone); the
    /// answers are in the order of `writes`. The outer error means nothing was committed.
    async fn commit_chats(
        &self,
        writes: &[ChatWrite],
        at: Timestamp,
    ) -> Result<Vec<Result<Vec<LoggedEvent>, StoreError>>, StoreError>;
    /// The message an author already posted in a chat under an idempotency key.
    async fn message_by_client_id(
        &self,
        chat: ChatId,
        author_key: &str,
        client_id: &str,
    ) -> Result<Option<ChatEvent>, StoreError>;
    /// A chat's events, oldest first (the caller filters by visibility).
    async fn chat_events(&self, chat: ChatId) -> Result<Vec<LoggedEvent>, StoreError>;
    /// Up to `limit` events after `after` that may reach the visitor, oldest first.
    async fn events_for_visitor(
        &self,
        visitor: VisitorId,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError>;
    /// Up to `limit` events after `after` that may reach the operator (dashboard changes and
    /// the events of chats they have been in), oldest first; the caller applies the reach.
    async fn events_for_operator(
        &self,
        operator: OperatorId,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError>;
    /// Up to `limit` events after `after`, oldest first, across all chats: the log as a node
    /// follows it.
    async fn events_after(
        &self,
        after: EventId,
        limit: i64,
    ) -> Result<Vec<LoggedEvent>, StoreError>;
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// The newest event id (0 when the log is empty).
    async fn last_event_id(&self) -> Result<EventId, StoreError>;
    /// The operator's console at one consistent cut.
    async fn operator_view(&self, operator: OperatorId) -> Result<OperatorView, StoreError>;
    /// One open chat the operator is in, with its events, at one consistent cut.
    async fn member_chat(
        &self,
        operator: OperatorId,
        chat: ChatId,
    ) -> Result<Option<(Membership, Vec<LoggedEvent>)>, StoreError>;
    /// Whether the operator has ever been in the chat, in any role.
    async fn took_part(&self, operator: OperatorId, chat: ChatId) -> Result<bool, StoreError>;
    /// The visitor's latest chat, at one consistent cut.
    async fn visitor_cut(&self, visitor: VisitorId) -> Result<VisitorCut, StoreError>;

    /// Every visitor chat that is not closed, oldest first.
    async fn open_chats(&self) -> Result<Vec<StoredChat>, StoreError>;
    /// Every waiting visitor chat, oldest first: the queues.
    async fn waiting_chats(&self) -> Result<Vec<StoredChat>, StoreError>;
    /// How many visitor chats wait for an operator.
    async fn waiting_count(&self) -> Result<i64, StoreError>;
    /// How many chats operators accepted since `since`, for the queue's wait estimate.
    async fn accepted_since(&self, since: Timestamp) -> Result<u32, StoreError>;
    /// The open chats an operator is in (any role), oldest first.
    async fn chats_of_operator(&self, operator: OperatorId) -> Result<Vec<Membership>, StoreError>;
    /// Sets which events of a chat alert an operator in it.
    async fn set_monitoring(
        &self,
        chat: ChatId,
        operator: OperatorId,
        monitoring: Monitoring,
    ) -> Result<(), StoreError>;
    /// Moves an operator's read marker forward (never back); answers whether it moved.
    async fn mark_read(
        &self,
        chat: ChatId,
        operator: OperatorId,
        up_to: EventId,
    ) -> Result<bool, StoreError>;
    /// Moves the visitor's seen marker forward (never back) to an event of the chat: answers
    /// whether it moved, or `None` when `up_to` is no event of this chat.
    async fn mark_seen_by_visitor(
        &self,
        chat: ChatId,
        up_to: EventId,
    ) -> Result<Option<bool>, StoreError>;
    /// How far the chat's participants have read it (the furthest of them): what the visitor
    /// sees as "Seen".
    async fn operators_seen(&self, chat: ChatId) -> Result<EventId, StoreError>;
}

/// Operator accounts: sessions, passwords, and presence (the consoles operators have open).
#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Creates an operator. `Conflict` if the email is taken.
    async fn insert_operator(&self, operator: &OperatorRecord) -> Result<(), StoreError>;
    /// Number of operator accounts.
    async fn operator_count(&self) -> Result<i64, StoreError>;
    /// Looks an operator up by email, case-insensitively.
    async fn operator_by_email(&self, email: &str) -> Result<Option<OperatorRecord>, StoreError>;
    /// Looks an operator up by id.
    async fn operator_by_id(&self, id: OperatorId) -> Result<Option<OperatorRecord>, StoreError>;
    /// Sets what an admin edits of an account (email, name, role) and nothing else, so a
    /// concurrent disable or profile save stands; `Conflict` if the email is taken by someone
    /// else.
    async fn update_operator_account(
        &self,
        id: OperatorId,
        email: &str,
        name: &str,
        role: Role,
    ) -> Result<(), StoreError>;
    /// Sets what an operator edits of their own profile and nothing else.
    async fn update_operator_profile(
        &self,
        id: OperatorId,
        chat_name: &str,
        invitation_name: &str,
        languages: &[String],
    ) -> Result<(), StoreError>;
    /// Sets an operator Unavailable by hand, or available again.
    async fn set_unavailable(&self, id: OperatorId, unavailable: bool) -> Result<(), StoreError>;
    /// Disables an operator, ending every session of theirs in the same transaction, or
    /// enables them again.
    async fn set_operator_disabled(&self, id: OperatorId, disabled: bool)
    -> Result<(), StoreError>;
    /// Replaces an operator's password (given at `at`) and ends every other session of theirs.
    async fn set_password(
        &self,
        id: OperatorId,
        password_hash: &str,
        must_change: bool,
        keep_session: Option<&str>,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Notes a failed login for an email from an address, forgetting failures from before
    /// `forget_before`.
    async fn record_login_failure(
        &self,
        email: &str,
        ip: &str,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StoreError>;
    /// The failed logins since `since` for an email and for an address.
    async fn login_failures(
        &self,
        email: &str,
        ip: &str,
        since: Timestamp,
    ) -> Result<LoginFailures, StoreError>;
    /// Forgets an email's failed logins (after a successful one).
    async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError>;

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
    /// Stores a new personal access token of an operator, by the hash of its secret.
    async fn insert_access_token(
        &self,
        operator: OperatorId,
        token: &AccessToken,
        token_hash: &str,
    ) -> Result<(), StoreError>;
    /// An operator's access tokens, newest first.
    async fn access_tokens(&self, operator: OperatorId) -> Result<Vec<AccessToken>, StoreError>;
    /// The access token behind a secret's hash, with its operator.
    async fn access_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(AccessToken, OperatorRecord)>, StoreError>;
    /// Records use of an access token.
    async fn touch_access_token(&self, token_hash: &str, at: Timestamp) -> Result<(), StoreError>;
    /// Deletes one of an operator's access tokens; `NotFound` if they hold no such token.
    async fn delete_access_token(
        &self,
        operator: OperatorId,
        id: AccessTokenId,
    ) -> Result<(), StoreError>;
    /// Every operator account, by name.
    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError>;

    /// Counts one more console of an operator open on `node`; answers how many they have
    /// open on the nodes seen since `live_since`.
    async fn open_console(
        &self,
        operator: OperatorId,
        node: uuid::Uuid,
        at: Timestamp,
        live_since: Timestamp,
    ) -> Result<i64, StoreError>;
    /// Counts one console less; answers how many remain open on live nodes.
    async fn close_console(
        &self,
        operator: OperatorId,
        node: uuid::Uuid,
        live_since: Timestamp,
    ) -> Result<i64, StoreError>;
    /// Marks the consoles open on `node` as still open (the node is alive), and forgets
    /// consoles of nodes not seen since `forget_before`.
    async fn keep_consoles(
        &self,
        node: uuid::Uuid,
        at: Timestamp,
        forget_before: Timestamp,
    ) -> Result<(), StoreError>;
    /// Operators with a console open on a node seen since `live_since`, by name.
    async fn present_operators(
        &self,
        live_since: Timestamp,
    ) -> Result<Vec<PresentOperator>, StoreError>;
    /// Records when an operator last did something.
    async fn note_active(&self, operator: OperatorId, at: Timestamp) -> Result<(), StoreError>;
    /// Signs an operator off for inactivity if they are still idle since before `idle_before`
    /// and not signed off already: takes them out of their channels and keeps the list.
    /// Answers the channels when this call signed them off, `None` otherwise.
    async fn sign_off(
        &self,
        id: OperatorId,
        at: Timestamp,
        idle_before: Timestamp,
    ) -> Result<Option<Vec<ChannelId>>, StoreError>;
    /// Ends a sign-off: the operator is back in the channels they were taken out of (those
    /// still open) and active at `at`. Answers the channels rejoined.
    async fn rejoin(&self, id: OperatorId, at: Timestamp) -> Result<Vec<ChannelId>, StoreError>;
}

/// What administrators set up: canned messages, the action log, channels and settings.
#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
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
}

/// A ticket to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTicket {
    /// Id.
    pub id: TicketId,
    /// Subject.
    pub subject: String,
    /// Assignee.
    pub assignee: Option<OperatorId>,
    /// Channel.
    pub channel: Option<ChannelId>,
    /// The visitor it is for.
    pub visitor: Option<VisitorId>,
    /// The visitor's name, or empty.
    pub name: String,
    /// Where replies go, or empty.
    pub email: String,
    /// Why the bubble took a message, when it did.
    pub reason: Option<OfflineReason>,
    /// When.
    pub created_at: Timestamp,
}

/// An article to add to a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewArticle {
    /// What it is.
    pub kind: ArticleKind,
    /// Who wrote it.
    pub author: String,
    /// Its text.
    pub body: String,
    /// The chat it carries.
    pub chat: Option<ChatId>,
    /// Where a reply goes.
    pub recipient: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

/// A ticket's fields after a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketChange {
    /// Status.
    pub status: TicketStatus,
    /// Assignee.
    pub assignee: Option<OperatorId>,
    /// Channel.
    pub channel: Option<ChannelId>,
    /// When.
    pub at: Timestamp,
}

/// Tickets (O23). Every write that follows a status rule is conditional on the status it was
/// decided from, so that two operators (on any nodes) acting at once cannot both win.
#[async_trait]
pub trait TicketStore: Send + Sync + 'static {
    /// Opens a ticket with its first article, and queues the webhook deliveries that tell of
    /// it, in one transaction. Answers its number.
    async fn insert_ticket(
        &self,
        ticket: &NewTicket,
        first: &NewArticle,
        deliveries: &[NewDelivery],
    ) -> Result<i64, StoreError>;
    /// Tickets within `scope` matching `filter` (`me`: the asking operator), the most
    /// recently changed first.
    async fn tickets(
        &self,
        filter: TicketFilter,
        scope: &TicketScope,
        me: OperatorId,
        limit: i64,
    ) -> Result<Vec<Ticket>, StoreError>;
    /// One ticket with its articles.
    async fn ticket(&self, id: TicketId) -> Result<Option<TicketView>, StoreError>;
    /// Changes a ticket's fields if its status is still `expected`: `Conflict` otherwise,
    /// `NotFound` if there is no such ticket.
    async fn update_ticket(
        &self,
        id: TicketId,
        expected: TicketStatus,
        change: &TicketChange,
    ) -> Result<(), StoreError>;
    /// Adds an article and sets the status, if the status is still `expected`, with the mail
    /// that carries a reply, in one transaction. `Conflict` if the status moved or the chat is
    /// in the ticket already.
    async fn add_article(
        &self,
        id: TicketId,
        expected: TicketStatus,
        status: TicketStatus,
        article: &NewArticle,
        mail: Option<&NewMail>,
    ) -> Result<(), StoreError>;
}

/// A webhook delivery to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDelivery {
    /// To which webhook.
    pub webhook: WebhookId,
    /// `webhook-id`, unique per webhook: queueing the same message twice keeps one.
    pub message_id: String,
    /// What it tells.
    pub event: WebhookEvent,
    /// The JSON body.
    pub payload: String,
    /// When it was queued (and first due).
    pub created_at: Timestamp,
}

/// A delivery taken by one node to try now, with what sending it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDelivery {
    /// Its number.
    pub id: i64,
    /// `webhook-id`.
    pub message_id: String,
    /// The JSON body.
    pub payload: String,
    /// Tries before this one.
    pub attempts: u32,
    /// Where to.
    pub url: String,
    /// The signing secret.
    pub secret: String,
    /// Whether private addresses may be reached.
    pub allow_private: bool,
}

/// How a try went, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TryOutcome {
    /// When.
    pub at: Timestamp,
    /// Tries so far, this one included.
    pub attempts: u32,
    /// Where the delivery stands now.
    pub state: DeliveryState,
    /// When to try next, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Webhooks and their durable outbox of deliveries.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Every webhook, oldest first.
    async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError>;
    /// Registers a webhook, or changes one's URL, events and switches (never its secret or
    /// creation time).
    async fn save_webhook(&self, webhook: &Webhook) -> Result<(), StoreError>;
    /// Removes a webhook with its deliveries; `NotFound` if there is none.
    async fn delete_webhook(&self, id: WebhookId) -> Result<(), StoreError>;
    /// The newest event already looked at for webhooks.
    async fn webhook_cursor(&self) -> Result<EventId, StoreError>;
    /// Moves the cursor from `from` to `to` and queues the deliveries of the events between,
    /// in one transaction; `false` (and nothing written) if the cursor is no longer at `from`
    /// (another node got there first).
    async fn enqueue_deliveries(
        &self,
        from: EventId,
        to: EventId,
        deliveries: &[NewDelivery],
    ) -> Result<bool, StoreError>;
    /// Takes up to `limit` deliveries due at `now` that no node holds, holding them until
    /// `lease_until`.
    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// Records a try and lets the delivery go.
    async fn finish_delivery(&self, id: i64, outcome: &TryOutcome) -> Result<(), StoreError>;
    /// The newest deliveries, for the console's delivery log.
    async fn deliveries(&self, limit: i64) -> Result<Vec<Delivery>, StoreError>;
}

/// A mail to queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMail {
    /// To whom (a checked address).
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Why it is sent.
    pub purpose: MailPurpose,
    /// The chat it carries, if any.
    pub chat: Option<ChatId>,
    /// When it was queued (and first due).
    pub created_at: Timestamp,
}

/// A mail taken by one node to send now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueMail {
    /// Its number.
    pub id: i64,
    /// To whom.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Tries before this one.
    pub attempts: u32,
}

/// How a try to send a mail went, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailOutcome {
    /// When.
    pub at: Timestamp,
    /// Tries so far, this one included.
    pub attempts: u32,
    /// Where the mail stands now.
    pub state: MailState,
    /// When to try next, while pending.
    pub next_attempt_at: Option<Timestamp>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// The durable outbox of mail.
#[async_trait]
pub trait MailStore: Send + Sync + 'static {
    /// Queues a mail, due at once; answers its number.
    async fn insert_mail(&self, mail: &NewMail) -> Result<i64, StoreError>;
    /// How many mails of this purpose were queued for a chat.
    async fn mail_count(&self, chat: ChatId, purpose: MailPurpose) -> Result<i64, StoreError>;
    /// Takes up to `limit` mails due at `now` that no node holds, holding them until
    /// `lease_until`.
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: i64,
    ) -> Result<Vec<DueMail>, StoreError>;
    /// Records a try and lets the mail go.
    async fn finish_mail(&self, id: i64, outcome: &MailOutcome) -> Result<(), StoreError>;
    /// The newest mails, for the console's outbox.
    async fn outbox(&self, limit: i64) -> Result<Vec<OutboxEntry>, StoreError>;
}

/// Past chats, found (O28).
#[async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    /// Visitor chats matching the search within `scope`: by relevance when it has words
    /// (each chat with its best message's excerpt), newest first otherwise; up to `limit`
    /// after the query's offset.
    async fn search_history(
        &self,
        query: &ValidQuery,
        scope: HistoryScope,
        limit: i64,
    ) -> Result<Vec<HistoryHit>, StoreError>;
    /// Brings up to `limit` newer messages into the search index, when the backend indexes
    /// after the commit; answers how many events it looked at (0: the index is current).
    async fn index_messages(&self, limit: i64) -> Result<u64, StoreError>;
    /// The events reports read (starts, takes, messages, misses, closes, ratings) of the
    /// visitor chats started in `[from, to)`, in `channel` when given: each chat's oldest
    /// first.
    async fn report_chats(
        &self,
        from: Timestamp,
        to: Timestamp,
        channel: Option<ChannelId>,
    ) -> Result<Vec<Vec<ChatEvent>>, StoreError>;
}

/// Deleting what is no longer kept (P6).
#[async_trait]
pub trait RetentionStore: Send + Sync + 'static {
    /// Deletes up to `limit` chats closed before `before` (by their last change), with their
    /// events, search entries, participants and mails; answers how many went.
    async fn purge_closed_before(&self, before: Timestamp, limit: i64) -> Result<u64, StoreError>;
    /// The visitor's chats, oldest first, each with every event.
    async fn visitor_chats(
        &self,
        visitor: VisitorId,
    ) -> Result<Vec<(ChatState, Vec<ChatEvent>)>, StoreError>;
    /// The messages the visitor left offline: name, email, message, when.
    async fn visitor_messages(
        &self,
        visitor: VisitorId,
    ) -> Result<Vec<(String, String, String, i64)>, StoreError>;
    /// Deletes the visitor, their chats (with events, search entries, participants, mails)
    /// and their messages, in one transaction; answers how many chats and messages went.
    async fn erase_visitor(&self, visitor: VisitorId) -> Result<(u64, u64), StoreError>;
}

/// The event kinds reports read.
pub(crate) const REPORT_KINDS: &str = "'chat_started', 'operator_accepted', 'operator_joined', \
    'role_changed', 'message_posted', 'chat_missed', 'status_changed', 'chat_rated'";

/// Groups `(chat, id, at, payload)` rows, ordered by chat then id, into each chat's events.
pub(crate) fn events_by_chat(
    rows: impl IntoIterator<Item = (ChatId, i64, i64, String)>,
) -> Result<Vec<Vec<ChatEvent>>, StoreError> {
    let mut chats: Vec<Vec<ChatEvent>> = Vec::new();
    for (chat, id, at, payload) in rows {
        let kind: EventKind = serde_json::from_str(&payload)
            .map_err(|err| StoreError::Corrupt(format!("event {id}: {err}")))?;
        let event = ChatEvent {
            id: EventId(id),
            chat_id: chat,
            at: Timestamp(at),
            kind,
        };
        match chats.last_mut() {
            Some(events) if events.first().is_some_and(|e| e.chat_id == chat) => {
                events.push(event);
            }
            _ => chats.push(vec![event]),
        }
    }
    Ok(chats)
}

/// A page view as recorded.
#[derive(Clone, Debug)]
pub struct PageViewRecord<'a> {
    /// The page's address.
    pub url: &'a str,
    /// Its title.
    pub title: Option<&'a str>,
    /// Its referrer: kept as the visit's when the view begins a visit.
    pub referrer: Option<&'a str>,
    /// The browser's language.
    pub language: Option<&'a str>,
    /// The channel the page's snippet names.
    pub channel: Option<ChannelId>,
}

/// A visitor as the live list shows them.
#[derive(Clone, Debug)]
pub struct LiveVisitorRecord {
    /// Their record.
    pub visitor: VisitorRecord,
    /// When this visit began.
    pub visit_started_at: Timestamp,
    /// Pages viewed in it.
    pub pages_viewed: u32,
    /// The channel the snippet names.
    pub channel: Option<ChannelId>,
    /// Its name.
    pub channel_name: Option<String>,
    /// Their open chat.
    pub open_chat: Option<ChatId>,
    /// Their latest invitation's recorded state, its expiry and when it was sent.
    pub invitation: Option<(InvitationStatus, Timestamp, Timestamp)>,
}

/// "status expires_at sent_at", as the list's subquery reads it.
pub(crate) fn parse_latest_invitation(
    text: Option<&str>,
) -> Option<(InvitationStatus, Timestamp, Timestamp)> {
    let mut parts = text?.split(' ');
    let status = InvitationStatus::parse(parts.next()?)?;
    let expires = parts.next()?.parse().ok()?;
    let sent = parts.next()?.parse().ok()?;
    Some((status, Timestamp(expires), Timestamp(sent)))
}

/// Visitors on the site and the invitations operators send them (O25).
#[async_trait]
pub trait VisitorStore: Send + Sync + 'static {
    /// Records a page view (beginning a new visit when `new_visit`), and keeps the newest
    /// `keep_trail` pages of the trail.
    async fn record_page_view(
        &self,
        id: VisitorId,
        page: &PageViewRecord<'_>,
        at: Timestamp,
        new_visit: bool,
        keep_trail: u32,
    ) -> Result<(), StoreError>;
    /// The open chats whose visitor has had no page of the site open since `gone_before`, at
    /// most `limit`: their part ends (V8).
    async fn departed_chats(
        &self,
        gone_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<(ChatId, VisitorId)>, StoreError>;
    /// Records the name and email a visitor gave (`None` keeps what is kept).
    async fn set_visitor_contact(
        &self,
        id: VisitorId,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Marks visitors as still on the site (their pages' channels are open on this node).
    async fn keep_visitors(&self, ids: &[VisitorId], at: Timestamp) -> Result<(), StoreError>;
    /// The visitors seen since `since` that match, newest visit first: how many in all, and a
    /// page of at most `limit`.
    async fn live_visitors(
        &self,
        since: Timestamp,
        filter: &VisitorFilter,
        limit: u32,
    ) -> Result<(u64, Vec<LiveVisitorRecord>), StoreError>;
    /// One visitor as the list shows them, whether on the site or not.
    async fn live_visitor(&self, id: VisitorId) -> Result<Option<LiveVisitorRecord>, StoreError>;
    /// The newest pages of a visitor's trail.
    async fn visitor_trail(&self, id: VisitorId, limit: u32) -> Result<Vec<PageVisit>, StoreError>;
    /// A visitor's chats, newest first.
    async fn visitor_chat_list(
        &self,
        id: VisitorId,
        limit: u32,
    ) -> Result<Vec<PastChat>, StoreError>;
    /// Records a new invitation, closing (as expired) any open one of the visitor's.
    async fn insert_invitation(&self, invitation: &Invitation) -> Result<(), StoreError>;
    /// An invitation.
    async fn invitation(&self, id: InvitationId) -> Result<Option<Invitation>, StoreError>;
    /// The visitor's latest invitation.
    async fn latest_invitation(&self, visitor: VisitorId)
    -> Result<Option<Invitation>, StoreError>;
    /// Moves an invitation from `from` to `to` (with the chat it opened): `false` when it was
    /// no longer in `from`, or had expired by `at`.
    async fn answer_invitation(
        &self,
        id: InvitationId,
        from: InvitationStatus,
        to: InvitationStatus,
        chat: Option<ChatId>,
        at: Timestamp,
    ) -> Result<bool, StoreError>;
}

/// The storage port: every area in one, as the engine takes it (`Arc<dyn Store>`). Any type
/// that implements the area traits is a `Store`.
pub trait Store:
    ChatStore
    + AccountStore
    + AdminStore
    + WebhookStore
    + MailStore
    + HistoryStore
    + RetentionStore
    + TicketStore
    + VisitorStore
{
}

impl<
    T: ChatStore
        + AccountStore
        + AdminStore
        + WebhookStore
        + MailStore
        + HistoryStore
        + RetentionStore
        + TicketStore
        + VisitorStore,
> Store for T
{
}

/// How both backends store a webhook's events: their names, comma-separated.
pub(crate) fn events_to_stored(events: &[WebhookEvent]) -> String {
    events
        .iter()
        .map(|event| event.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a webhook's stored events; names this version does not know are skipped.
pub(crate) fn events_from_stored(stored: &str) -> Vec<WebhookEvent> {
    stored.split(',').filter_map(WebhookEvent::parse).collect()
}

/// How a message author is keyed for idempotency.
pub fn author_key(author: &domain::Author, visitor: Option<VisitorId>) -> String {
    match author {
        domain::Author::Visitor => format!("v:{}", visitor.map(|v| v.0).unwrap_or_default()),
        domain::Author::Operator { id } => format!("o:{id}"),
    }
}

/// Reads the channel ids an operator was signed off from: both backends keep them as
/// comma-separated text.
pub(crate) fn channels_from_stored(stored: &str) -> Result<Vec<ChannelId>, StoreError> {
    stored
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| {
            uuid::Uuid::parse_str(c)
                .map(ChannelId)
                .map_err(|err| StoreError::Corrupt(format!("channel {c:?}: {err}")))
        })
        .collect()
}

/// How both backends store why a follow-up was left.
pub(crate) fn reason_to_stored(reason: domain::followup::OfflineReason) -> &'static str {
    use domain::followup::OfflineReason;
    match reason {
        OfflineReason::Off => "off",
        OfflineReason::OutsideHours => "outside_hours",
        OfflineReason::NobodyAvailable => "nobody_available",
        OfflineReason::FollowUpRequest => "follow_up_request",
    }
}

/// Reads [`reason_to_stored`]'s form back.
pub(crate) fn reason_from_stored(
    stored: &str,
) -> Result<domain::followup::OfflineReason, StoreError> {
    use domain::followup::OfflineReason;
    [
        OfflineReason::Off,
        OfflineReason::OutsideHours,
        OfflineReason::NobodyAvailable,
        OfflineReason::FollowUpRequest,
    ]
    .into_iter()
    .find(|r| reason_to_stored(*r) == stored)
    .ok_or_else(|| StoreError::Corrupt(format!("follow-up reason {stored}")))
}

/// `NotFound` when an update touched no row.
pub(crate) fn found(rows: u64) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// An event's dashboard scope as both backends store it: JSON, or NULL when there is none.
pub(crate) fn scope_to_stored(
    scope: Option<&DashboardScope>,
) -> Result<Option<String>, StoreError> {
    scope
        .map(serde_json::to_string)
        .transpose()
        .map_err(|err| StoreError::Corrupt(format!("dashboard scope: {err}")))
}

/// Reads [`scope_to_stored`]'s form back.
pub(crate) fn scope_from_stored(
    stored: Option<&str>,
) -> Result<Option<DashboardScope>, StoreError> {
    stored
        .map(serde_json::from_str)
        .transpose()
        .map_err(|err| StoreError::Corrupt(format!("dashboard scope: {err}")))
}
