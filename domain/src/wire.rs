//! Reading the tagged objects of the wire (events, signals, authors, call signals) in one pass.
//!
//! Their JSON is flat: a `type` (or `kind`) field names the variant beside the variant's own
//! fields, in any order. Serde's derive reads such an enum by buffering the whole object into a
//! generic tree first and then reading each variant from that tree, which builds a second
//! reader per variant; in the console's bundle that machinery was its largest serde cost. Here
//! each type is read once into a record of all its variants' fields, every one optional, and
//! the tag then says which of them the variant needs: a missing one is the error serde would
//! give, fields of other variants are ignored as serde ignores unknown fields. Writing stays
//! with serde's derive, and the tests check that every variant reads back what it wrote.

use serde::de::{Deserialize, Deserializer, Error};

use crate::call::CallSignal;
use crate::chat::{ChatStatus, MemberRole, OfferKind};
use crate::event::{Author, ChatEvent, EventKind};
use crate::ids::{ChannelId, ChatId, EventId, InvitationId, OperatorId, VisitorId};
use crate::routing::PassReason;
use crate::signal::Signal;
use crate::time::Timestamp;
use crate::visitor::InvitationStatus;

fn need<T, E: Error>(value: Option<T>, field: &'static str) -> Result<T, E> {
    value.ok_or_else(|| E::missing_field(field))
}

/// Every field of every event kind, and those of the stored event around it.
#[derive(serde::Deserialize)]
struct EventFields {
    id: Option<EventId>,
    chat_id: Option<ChatId>,
    at: Option<Timestamp>,
    #[serde(rename = "type")]
    tag: String,
    visitor: Option<VisitorId>,
    visitor_name: Option<String>,
    channel: Option<ChannelId>,
    channel_name: Option<String>,
    by: Option<OperatorId>,
    by_name: Option<String>,
    with: Option<OperatorId>,
    with_name: Option<String>,
    author: Option<Author>,
    author_name: Option<String>,
    body: Option<String>,
    client_id: Option<String>,
    note: Option<bool>,
    operator: Option<OperatorId>,
    operator_name: Option<String>,
    role: Option<MemberRole>,
    transferred_to: Option<String>,
    kind: Option<OfferKind>,
    target: Option<OperatorId>,
    target_name: Option<String>,
    from: Option<OperatorId>,
    from_name: Option<String>,
    on_hold: Option<bool>,
    status: Option<ChatStatus>,
    reason: Option<String>,
    since: Option<Timestamp>,
    why: Option<PassReason>,
    waited_ms: Option<i64>,
    started_at: Option<Timestamp>,
    seconds: Option<u32>,
    declined: Option<bool>,
    stars: Option<u8>,
    comment: Option<String>,
}

impl EventFields {
    fn into_kind<E: Error>(self) -> Result<EventKind, E> {
        let f = self;
        let operator = |f: Option<OperatorId>| need(f, "operator");
        let operator_name = |f: Option<String>| need(f, "operator_name");
        Ok(match f.tag.as_str() {
            "chat_started" => EventKind::ChatStarted {
                visitor: f.visitor,
                visitor_name: need(f.visitor_name, "visitor_name")?,
                channel: f.channel,
            },
            "private_chat_started" => EventKind::PrivateChatStarted {
                by: need(f.by, "by")?,
                by_name: need(f.by_name, "by_name")?,
                with: need(f.with, "with")?,
                with_name: need(f.with_name, "with_name")?,
            },
            "message_posted" => EventKind::MessagePosted {
                author: need(f.author, "author")?,
                author_name: need(f.author_name, "author_name")?,
                body: need(f.body, "body")?,
                client_id: f.client_id,
                note: f.note.unwrap_or_default(),
            },
            "operator_accepted" => EventKind::OperatorAccepted {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
            },
            "operator_joined" => EventKind::OperatorJoined {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
                role: need(f.role, "role")?,
            },
            "role_changed" => EventKind::RoleChanged {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
                role: need(f.role, "role")?,
            },
            "operator_left" => EventKind::OperatorLeft {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
                transferred_to: f.transferred_to,
            },
            "offer_made" => EventKind::OfferMade {
                kind: need(f.kind, "kind")?,
                target: need(f.target, "target")?,
                target_name: need(f.target_name, "target_name")?,
                from: need(f.from, "from")?,
                from_name: need(f.from_name, "from_name")?,
            },
            "offer_declined" => EventKind::OfferDeclined {
                kind: need(f.kind, "kind")?,
                target: need(f.target, "target")?,
                target_name: need(f.target_name, "target_name")?,
            },
            "offer_withdrawn" => EventKind::OfferWithdrawn {
                kind: need(f.kind, "kind")?,
                target: need(f.target, "target")?,
                target_name: need(f.target_name, "target_name")?,
            },
            "visitor_kicked" => EventKind::VisitorKicked {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
            },
            "chat_closed" => EventKind::ChatClosed {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
            },
            "hold_changed" => EventKind::HoldChanged {
                on_hold: need(f.on_hold, "on_hold")?,
                operator_name: operator_name(f.operator_name)?,
            },
            "channel_changed" => EventKind::ChannelChanged {
                channel: need(f.channel, "channel")?,
                channel_name: need(f.channel_name, "channel_name")?,
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
            },
            "visitor_left" => EventKind::VisitorLeft,
            "status_changed" => EventKind::StatusChanged {
                status: need(f.status, "status")?,
            },
            "chat_assigned" => EventKind::ChatAssigned {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
                reason: need(f.reason, "reason")?,
                since: need(f.since, "since")?,
            },
            "assignment_passed" => EventKind::AssignmentPassed {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
                why: need(f.why, "why")?,
            },
            "chat_missed" => EventKind::ChatMissed {
                waited_ms: need(f.waited_ms, "waited_ms")?,
            },
            "operator_inactive" => EventKind::OperatorInactive {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
            },
            "operator_returned" => EventKind::OperatorReturned {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
            },
            "call_requested" => EventKind::CallRequested {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
            },
            "call_started" => EventKind::CallStarted {
                operator: operator(f.operator)?,
                operator_name: operator_name(f.operator_name)?,
                started_at: need(f.started_at, "started_at")?,
            },
            "call_ended" => EventKind::CallEnded {
                operator: operator(f.operator)?,
                seconds: need(f.seconds, "seconds")?,
                declined: f.declined.unwrap_or_default(),
            },
            "chat_rated" => EventKind::ChatRated {
                stars: need(f.stars, "stars")?,
                comment: f.comment.unwrap_or_default(),
            },
            other => return Err(E::unknown_variant(other, &EventKind::NAMES)),
        })
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        EventFields::deserialize(deserializer)?.into_kind()
    }
}

impl<'de> Deserialize<'de> for ChatEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = EventFields::deserialize(deserializer)?;
        let id = need(fields.id.take(), "id")?;
        let chat_id = need(fields.chat_id.take(), "chat_id")?;
        let at = need(fields.at.take(), "at")?;
        Ok(ChatEvent {
            id,
            chat_id,
            at,
            kind: fields.into_kind()?,
        })
    }
}

#[derive(serde::Deserialize)]
struct AuthorFields {
    kind: String,
    id: Option<OperatorId>,
}

impl<'de> Deserialize<'de> for Author {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let f = AuthorFields::deserialize(deserializer)?;
        match f.kind.as_str() {
            "visitor" => Ok(Author::Visitor),
            "operator" => Ok(Author::Operator {
                id: need(f.id, "id")?,
            }),
            other => Err(Error::unknown_variant(other, &["visitor", "operator"])),
        }
    }
}

/// Every field of every signal.
#[derive(serde::Deserialize)]
struct SignalFields {
    #[serde(rename = "type")]
    tag: String,
    chat_id: Option<ChatId>,
    author: Option<Author>,
    name: Option<String>,
    active: Option<bool>,
    note: Option<bool>,
    operator: Option<OperatorId>,
    online: Option<bool>,
    unavailable: Option<bool>,
    position: Option<u32>,
    estimated_wait_seconds: Option<u32>,
    by_visitor: Option<bool>,
    up_to: Option<EventId>,
    url: Option<String>,
    invitation_id: Option<InvitationId>,
    operator_name: Option<String>,
    message: Option<String>,
    visitor_id: Option<VisitorId>,
    status: Option<InvitationStatus>,
    from_visitor: Option<bool>,
    signal: Option<CallSignal>,
}

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let f = SignalFields::deserialize(deserializer)?;
        let chat_id = |f: Option<ChatId>| need(f, "chat_id");
        Ok(match f.tag.as_str() {
            "typing" => Signal::Typing {
                chat_id: chat_id(f.chat_id)?,
                author: need(f.author, "author")?,
                name: need(f.name, "name")?,
                active: need(f.active, "active")?,
                note: f.note.unwrap_or_default(),
            },
            "viewing" => Signal::Viewing {
                chat_id: chat_id(f.chat_id)?,
                operator: need(f.operator, "operator")?,
                name: need(f.name, "name")?,
                active: need(f.active, "active")?,
            },
            "presence" => Signal::Presence {
                operator: need(f.operator, "operator")?,
                name: need(f.name, "name")?,
                online: need(f.online, "online")?,
                unavailable: f.unavailable.unwrap_or_default(),
            },
            "channels_changed" => Signal::ChannelsChanged,
            "tickets_changed" => Signal::TicketsChanged,
            "queue" => Signal::Queue {
                chat_id: chat_id(f.chat_id)?,
                position: need(f.position, "position")?,
                estimated_wait_seconds: f.estimated_wait_seconds,
            },
            "seen" => Signal::Seen {
                chat_id: chat_id(f.chat_id)?,
                by_visitor: need(f.by_visitor, "by_visitor")?,
                up_to: need(f.up_to, "up_to")?,
            },
            "visitor_page" => Signal::VisitorPage {
                chat_id: chat_id(f.chat_id)?,
                url: need(f.url, "url")?,
            },
            "invited" => Signal::Invited {
                invitation_id: need(f.invitation_id, "invitation_id")?,
                operator_name: need(f.operator_name, "operator_name")?,
                message: need(f.message, "message")?,
            },
            "invitation_changed" => Signal::InvitationChanged {
                invitation_id: need(f.invitation_id, "invitation_id")?,
                visitor_id: need(f.visitor_id, "visitor_id")?,
                status: need(f.status, "status")?,
                chat_id: f.chat_id,
            },
            "call" => Signal::Call {
                chat_id: chat_id(f.chat_id)?,
                from_visitor: need(f.from_visitor, "from_visitor")?,
                signal: need(f.signal, "signal")?,
            },
            "visitors_changed" => Signal::VisitorsChanged,
            other => return Err(Error::unknown_variant(other, &Signal::NAMES)),
        })
    }
}

#[derive(serde::Deserialize)]
struct CallSignalFields {
    #[serde(rename = "type")]
    tag: String,
    sdp: Option<String>,
    candidate: Option<String>,
    sdp_mid: Option<String>,
    sdp_m_line_index: Option<u16>,
    muted: Option<bool>,
}

impl<'de> Deserialize<'de> for CallSignal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let f = CallSignalFields::deserialize(deserializer)?;
        Ok(match f.tag.as_str() {
            "accept" => CallSignal::Accept,
            "offer" => CallSignal::Offer {
                sdp: need(f.sdp, "sdp")?,
            },
            "answer" => CallSignal::Answer {
                sdp: need(f.sdp, "sdp")?,
            },
            "ice" => CallSignal::Ice {
                candidate: need(f.candidate, "candidate")?,
                sdp_mid: f.sdp_mid,
                sdp_m_line_index: f.sdp_m_line_index,
            },
            "mute" => CallSignal::Mute {
                muted: need(f.muted, "muted")?,
            },
            other => {
                return Err(Error::unknown_variant(
                    other,
                    &["accept", "offer", "answer", "ice", "mute"],
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{ChatStatus, MemberRole, OfferKind};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use std::fmt::Debug;
    use uuid::Uuid;

    fn op(n: u128) -> OperatorId {
        OperatorId(Uuid::from_u128(n))
    }

    /// Written by serde's derive, read back here: the same value.
    fn round_trips<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) -> String {
        let json = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(back, value, "{json}");
        json
    }

    fn every_kind() -> Vec<EventKind> {
        let (a, b) = (op(1), op(2));
        let name = || "Ann".to_owned();
        vec![
            EventKind::ChatStarted {
                visitor: Some(VisitorId(Uuid::from_u128(9))),
                visitor_name: "Vic".into(),
                channel: Some(ChannelId(Uuid::from_u128(8))),
            },
            EventKind::ChatStarted {
                visitor: None,
                visitor_name: "Vic".into(),
                channel: None,
            },
            EventKind::PrivateChatStarted {
                by: a,
                by_name: name(),
                with: b,
                with_name: "Bo".into(),
            },
            EventKind::MessagePosted {
                author: Author::Operator { id: a },
                author_name: name(),
                body: "hi \"there\"".into(),
                client_id: Some("c-1".into()),
                note: true,
            },
            EventKind::MessagePosted {
                author: Author::Visitor,
                author_name: "Vic".into(),
                body: "hello".into(),
                client_id: None,
                note: false,
            },
            EventKind::OperatorAccepted {
                operator: a,
                operator_name: name(),
            },
            EventKind::OperatorJoined {
                operator: a,
                operator_name: name(),
                role: MemberRole::Observer,
            },
            EventKind::RoleChanged {
                operator: a,
                operator_name: name(),
                role: MemberRole::Participant,
            },
            EventKind::OperatorLeft {
                operator: a,
                operator_name: name(),
                transferred_to: Some("Bo".into()),
            },
            EventKind::OfferMade {
                kind: OfferKind::Transfer,
                target: b,
                target_name: "Bo".into(),
                from: a,
                from_name: name(),
            },
            EventKind::OfferDeclined {
                kind: OfferKind::Invite,
                target: b,
                target_name: "Bo".into(),
            },
            EventKind::OfferWithdrawn {
                kind: OfferKind::Invite,
                target: b,
                target_name: "Bo".into(),
            },
            EventKind::VisitorKicked {
                operator: a,
                operator_name: name(),
            },
            EventKind::ChatClosed {
                operator: a,
                operator_name: name(),
            },
            EventKind::HoldChanged {
                on_hold: true,
                operator_name: name(),
            },
            EventKind::ChannelChanged {
                channel: ChannelId(Uuid::from_u128(8)),
                channel_name: "Sales".into(),
                operator: a,
                operator_name: name(),
            },
            EventKind::VisitorLeft,
            EventKind::StatusChanged {
                status: ChatStatus::Closed,
            },
            EventKind::ChatAssigned {
                operator: a,
                operator_name: name(),
                reason: "language en matched".into(),
                since: Timestamp(5),
            },
            EventKind::AssignmentPassed {
                operator: a,
                operator_name: name(),
                why: PassReason::Declined,
            },
            EventKind::ChatMissed { waited_ms: 1234 },
            EventKind::OperatorInactive {
                operator: a,
                operator_name: name(),
            },
            EventKind::OperatorReturned {
                operator: a,
                operator_name: name(),
            },
            EventKind::ChatRated {
                stars: 4,
                comment: "good".into(),
            },
            EventKind::ChatRated {
                stars: 5,
                comment: String::new(),
            },
            EventKind::CallRequested {
                operator: a,
                operator_name: name(),
            },
            EventKind::CallStarted {
                operator: a,
                operator_name: name(),
                started_at: Timestamp(7),
            },
            EventKind::CallEnded {
                operator: a,
                seconds: 61,
                declined: true,
            },
        ]
    }

    #[test]
    fn every_event_kind_reads_back_what_serde_wrote() {
        let kinds = every_kind();
        let mut named: Vec<&str> = kinds.iter().map(EventKind::name).collect();
        let mut all = EventKind::NAMES.to_vec();
        all.sort_unstable();
        named.sort_unstable();
        named.dedup();
        assert_eq!(named, all, "every kind is tried");
        for (n, kind) in kinds.into_iter().enumerate() {
            round_trips(kind.clone());
            round_trips(ChatEvent {
                id: EventId(n as i64 + 1),
                chat_id: ChatId(Uuid::from_u128(3)),
                at: Timestamp(1_700_000_000_000),
                kind,
            });
        }
    }

    #[test]
    fn fields_arrive_in_any_order_and_others_are_ignored() {
        let event: ChatEvent = serde_json::from_str(
            r#"{"body":"hi","author":{"id":"00000000-0000-0000-0000-000000000001","kind":"operator"},
                "text":"ignored","author_name":"Ann","type":"message_posted","at":5,
                "chat_id":"00000000-0000-0000-0000-000000000003","id":9}"#,
        )
        .unwrap();
        assert_eq!(event.id, EventId(9));
        assert_eq!(
            event.kind,
            EventKind::MessagePosted {
                author: Author::Operator { id: op(1) },
                author_name: "Ann".into(),
                body: "hi".into(),
                client_id: None,
                note: false,
            }
        );
    }

    #[test]
    fn a_missing_field_or_an_unknown_type_is_refused() {
        let missing =
            serde_json::from_str::<EventKind>(r#"{"type":"chat_closed","operator_name":"Ann"}"#)
                .unwrap_err()
                .to_string();
        assert!(missing.contains("missing field `operator`"), "{missing}");
        let unknown = serde_json::from_str::<EventKind>(r#"{"type":"chat_exploded"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            unknown.contains("unknown variant `chat_exploded`"),
            "{unknown}"
        );
        assert!(serde_json::from_str::<EventKind>(r#"{"visitor_name":"Vic"}"#).is_err());
        let event = serde_json::from_str::<ChatEvent>(
            r#"{"type":"visitor_left","chat_id":"00000000-0000-0000-0000-000000000003","at":5}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(event.contains("missing field `id`"), "{event}");
        assert!(serde_json::from_str::<Author>(r#"{"kind":"operator"}"#).is_err());
        assert!(serde_json::from_str::<Signal>(r#"{"type":"typing"}"#).is_err());
        assert!(serde_json::from_str::<CallSignal>(r#"{"type":"offer"}"#).is_err());
    }

    #[test]
    fn every_signal_reads_back_what_serde_wrote() {
        let chat = ChatId(Uuid::from_u128(3));
        let signals = vec![
            Signal::Typing {
                chat_id: chat,
                author: Author::Visitor,
                name: "Vic".into(),
                active: true,
                note: false,
            },
            Signal::Typing {
                chat_id: chat,
                author: Author::Operator { id: op(1) },
                name: "Ann".into(),
                active: false,
                note: true,
            },
            Signal::Viewing {
                chat_id: chat,
                operator: op(1),
                name: "Ann".into(),
                active: true,
            },
            Signal::Presence {
                operator: op(1),
                name: "Ann".into(),
                online: true,
                unavailable: true,
            },
            Signal::ChannelsChanged,
            Signal::TicketsChanged,
            Signal::Queue {
                chat_id: chat,
                position: 2,
                estimated_wait_seconds: Some(90),
            },
            Signal::Queue {
                chat_id: chat,
                position: 1,
                estimated_wait_seconds: None,
            },
            Signal::Seen {
                chat_id: chat,
                by_visitor: true,
                up_to: EventId(12),
            },
            Signal::VisitorPage {
                chat_id: chat,
                url: "https://example.com/a".into(),
            },
            Signal::Invited {
                invitation_id: InvitationId(Uuid::from_u128(4)),
                operator_name: "Ann".into(),
                message: "Can I help?".into(),
            },
            Signal::InvitationChanged {
                invitation_id: InvitationId(Uuid::from_u128(4)),
                visitor_id: VisitorId(Uuid::from_u128(9)),
                status: InvitationStatus::Accepted,
                chat_id: Some(chat),
            },
            Signal::Call {
                chat_id: chat,
                from_visitor: false,
                signal: CallSignal::Ice {
                    candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".into(),
                    sdp_mid: Some("0".into()),
                    sdp_m_line_index: Some(0),
                },
            },
            Signal::VisitorsChanged,
        ];
        let mut named: Vec<&str> = signals.iter().map(Signal::name).collect();
        named.sort_unstable();
        named.dedup();
        let mut all = Signal::NAMES.to_vec();
        all.sort_unstable();
        assert_eq!(named, all, "every signal is tried");
        for signal in signals {
            round_trips(signal);
        }
        for call in [
            CallSignal::Accept,
            CallSignal::Offer { sdp: "v=0".into() },
            CallSignal::Answer { sdp: "v=0".into() },
            CallSignal::Ice {
                candidate: String::new(),
                sdp_mid: None,
                sdp_m_line_index: None,
            },
            CallSignal::Mute { muted: true },
        ] {
            round_trips(call);
        }
    }
}
