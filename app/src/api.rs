//! The console's server functions. Each authenticates the caller from the session cookie,
//! calls one engine service and answers its result; the engine decides everything.
#![allow(
    clippy::too_many_arguments,
    reason = "server functions take the fields of the forms that post to them"
)]

use domain::admin::{BannedVisitor, OperatorAccount};
use domain::bubble::BubbleSettings;
use domain::canned::CannedMessage;
use domain::channel::Channel;
use domain::console::Role;
use domain::console::{
    ChatAction, ConsoleSnapshot, Monitoring, MyChat, OnlineOperator, VisitorInfo,
};
use domain::followup::FollowUp;
use domain::log::ActionPage;
use domain::settings::Settings;
use domain::token::{AccessToken, NewAccessToken};
use domain::webhook::{Delivery, Webhook, WebhookForm};
use domain::{
    AccessTokenId, CannedId, ChannelId, ChatEvent, ChatId, EventId, FollowUpId, OfferKind,
    OperatorId, VisitorId, WebhookId,
};
use leptos::prelude::*;

use crate::error::ConsoleError;

#[cfg(feature = "ssr")]
pub mod ssr;

#[cfg(feature = "ssr")]
use engine::NewOperator;

/// Logs in with email and password; sets the session cookie and sends the operator on to the
/// dashboard, or to the password change while the default password is in use.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), ConsoleError> {
    let context = ssr::context()?;
    let outcome = context
        .engine
        .login_from(&email, &password, ssr::client_address())
        .await?;
    // A session presented with the login is ended, not kept alongside the new one.
    if let Some(old) = ssr::request_cookie(crate::session_cookie_name(context.secure_cookies))
        && let Ok(old) = context.engine.authenticate(&old).await
    {
        context.engine.logout(&old).await?;
    }
    ssr::set_session_cookie(&context, &outcome.token);
    leptos_axum::redirect(if outcome.must_change_password {
        "/password"
    } else {
        "/"
    });
    Ok(())
}

/// Ends the session and clears the cookie.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    context.engine.logout(&session).await?;
    ssr::clear_session_cookie(&context);
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the password (the forced first change, or from My profile).
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new_password: String,
    confirm: String,
) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    if new_password != confirm {
        return Err(domain::Error::new(
            domain::ErrorCode::InvalidField,
            "The new password and its confirmation differ.",
        )
        .into());
    }
    context
        .engine
        .change_password(&session, &current, &new_password)
        .await?;
    Ok(())
}

/// Everything the console shows at load, under the channel filter this browser chose.
#[server(endpoint = "load_console")]
pub async fn load_console() -> Result<ConsoleSnapshot, ConsoleError> {
    let (context, session) = ssr::session().await?;
    let filter = ssr::request_cookie(crate::DASHBOARD_COOKIE)
        .and_then(|filter| domain::channel::ChannelFilter::parse(&filter))
        .unwrap_or_default();
    Ok(context.engine.console_snapshot(&session, filter).await?)
}

/// The events after `after` that a console listing `channels` (`all`, or channel ids) would
/// have received on its stream: a window sharing another window's stream catches up with
/// them. `reload_required` when there are too many: load the console afresh.
#[server(endpoint = "console_catch_up")]
pub async fn console_catch_up(
    after: EventId,
    channels: String,
) -> Result<Vec<ChatEvent>, ConsoleError> {
    const MOST: usize = 2_000;
    let (context, session) = ssr::session().await?;
    let interest = domain::reach::Interest::parse_query(Some(&channels))?;
    context
        .engine
        .console_catch_up(&session, &interest, after, MOST)
        .await?
        .ok_or_else(|| {
            ConsoleError(domain::Error::new(
                domain::ErrorCode::ReloadRequired,
                "Too much happened meanwhile; loading afresh.",
            ))
        })
}

/// One chat the operator is in, with its history.
#[server(endpoint = "load_chat")]
pub async fn load_chat(chat_id: ChatId) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.my_chat(&session, chat_id).await?)
}

/// Accepts a waiting chat; the first operator wins, later ones get `chat_not_waiting`.
#[server(endpoint = "accept_chat")]
pub async fn accept_chat(chat_id: ChatId) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.accept_chat(&session, chat_id).await?)
}

/// Posts a message in a chat the operator is in, or (`note`) a note only operators see.
#[server(endpoint = "post_message")]
pub async fn post_message(
    chat_id: ChatId,
    body: String,
    client_id: Option<String>,
    note: Option<bool>,
) -> Result<ChatEvent, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .operator_post(
            &session,
            chat_id,
            &body,
            client_id.as_deref(),
            note.unwrap_or(false),
        )
        .await?)
}

/// One of the chat controls (join, watch, answer an offer, switch role, leave, kick, close,
/// hold, resume). Answers the events it recorded.
#[server(endpoint = "chat_action")]
pub async fn run_chat_action(
    chat_id: ChatId,
    action: ChatAction,
) -> Result<Vec<ChatEvent>, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .operator_command(&session, chat_id, &action.command())
        .await?)
}

/// Invites an online operator into the chat, or offers them the chat.
#[server(endpoint = "offer_chat")]
pub async fn offer_chat(
    chat_id: ChatId,
    kind: OfferKind,
    target: OperatorId,
) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .offer_chat(&session, chat_id, kind, target)
        .await?)
}

/// Takes back an invitation or transfer the operator made.
#[server(endpoint = "withdraw_offer")]
pub async fn withdraw_offer(chat_id: ChatId, target: OperatorId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    context
        .engine
        .operator_command(
            &session,
            chat_id,
            &domain::Command::WithdrawOffer { target },
        )
        .await?;
    Ok(())
}

/// Operators online now (for the invite, transfer and private-chat pickers).
#[server(endpoint = "online_operators")]
pub async fn online_operators() -> Result<Vec<OnlineOperator>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.online_operators(&session).await?)
}

/// Starts a private chat with an online operator.
#[server(endpoint = "start_private_chat")]
pub async fn start_private_chat(
    with: OperatorId,
    message: String,
    client_id: Option<String>,
) -> Result<MyChat, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .start_private_chat(&session, with, &message, client_id.as_deref())
        .await?)
}

/// Sets which events of a chat alert the operator.
#[server(endpoint = "set_monitoring")]
pub async fn set_monitoring(chat_id: ChatId, monitoring: Monitoring) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .set_monitoring(&session, chat_id, monitoring)
        .await?)
}

/// The operator is at the console: a key, a click or a touch, reported now and then. What
/// makes them active (and not away); polls, the stream and viewing never do.
#[server(endpoint = "activity")]
pub async fn report_activity() -> Result<(), ConsoleError> {
    ssr::acting_session().await?;
    Ok(())
}

/// Ends the operator's sign-off for inactivity: back into their channels.
#[server(endpoint = "rejoin")]
pub async fn rejoin() -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.rejoin(&session).await?)
}

/// Sets the operator Unavailable (no chats offered, no new-chat pop-ups) or available again.
#[server(endpoint = "set_unavailable")]
pub async fn set_unavailable(unavailable: bool) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .set_unavailable(&session, unavailable)
        .await?)
}

/// Tells the chat's other members that the operator is typing (a message or a note) or has the
/// chat in front of them. Never stored.
#[server(endpoint = "chat_signal")]
pub async fn chat_signal(
    chat_id: ChatId,
    typing: Option<bool>,
    note: Option<bool>,
    viewing: Option<bool>,
) -> Result<(), ConsoleError> {
    // Typing is the operator at work; having a chat open in front of them is not.
    let (context, session) = if typing == Some(true) {
        ssr::acting_session().await?
    } else {
        ssr::session().await?
    };
    let typing = typing.map(|active| (active, note.unwrap_or(false)));
    Ok(context
        .engine
        .operator_signal(&session, chat_id, typing, viewing)
        .await?)
}

/// What the chat sidebar shows about the visitor.
#[server(endpoint = "visitor_info")]
pub async fn load_visitor_info(chat_id: ChatId) -> Result<VisitorInfo, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.visitor_info(&session, chat_id).await?)
}

/// Records that the operator has read a chat up to an event.
#[server(endpoint = "mark_read")]
pub async fn mark_read(chat_id: ChatId, up_to: EventId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.mark_read(&session, chat_id, up_to).await?)
}

/// Every operator account (admins only).
#[server(endpoint = "list_operators")]
pub async fn list_operators() -> Result<Vec<OperatorAccount>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.list_operators(&session).await?)
}

/// Creates an operator with the default password, changed at first login (admins only).
#[server(endpoint = "add_operator")]
pub async fn add_operator(
    email: String,
    name: String,
    role: Role,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .add_operator(&session, NewOperator { email, name, role })
        .await?)
}

/// Changes an operator's email, name and role (admins only).
#[server(endpoint = "edit_operator")]
pub async fn edit_operator(
    id: OperatorId,
    email: String,
    name: String,
    role: Role,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .edit_operator(&session, id, NewOperator { email, name, role })
        .await?)
}

/// Disables an operator (their sessions and streams end at once) or enables them again
/// (admins only).
#[server(endpoint = "set_operator_disabled")]
pub async fn set_operator_disabled(
    id: OperatorId,
    disabled: bool,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .set_operator_disabled(&session, id, disabled)
        .await?)
}

/// Gives an operator the default password again, ending their sessions (admins only).
#[server(endpoint = "reset_password")]
pub async fn reset_password(id: OperatorId) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.reset_operator_password(&session, id).await?)
}

/// The operator's own account, for My profile.
#[server(endpoint = "load_profile")]
pub async fn load_profile() -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.profile(&session).await?)
}

/// Saves the online chat name, chat languages and invitation name.
#[server(endpoint = "save_profile")]
pub async fn save_profile(
    chat_name: String,
    languages: String,
    invitation_name: String,
) -> Result<OperatorAccount, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_profile(&session, &chat_name, &languages, &invitation_name)
        .await?)
}

/// My personal access tokens for the operator API, newest first (never their secrets).
#[server(endpoint = "list_access_tokens")]
pub async fn list_access_tokens() -> Result<Vec<AccessToken>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.access_tokens(&session).await?)
}

/// Makes a personal access token; its secret is in this answer only.
#[server(endpoint = "create_access_token")]
pub async fn create_access_token(name: String) -> Result<NewAccessToken, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.create_access_token(&session, &name).await?)
}

/// Revokes one of my tokens: refused from now on, its open streams end.
#[server(endpoint = "revoke_access_token")]
pub async fn revoke_access_token(id: AccessTokenId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.revoke_access_token(&session, id).await?)
}

/// Every webhook (admins only).
#[server(endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<Vec<Webhook>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.webhooks(&session).await?)
}

/// Registers a webhook or changes one (admins only).
#[server(endpoint = "save_webhook", input = leptos::server_fn::codec::Json)]
pub async fn save_webhook(form: WebhookForm) -> Result<Webhook, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.save_webhook(&session, &form).await?)
}

/// Removes a webhook and its pending deliveries (admins only).
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: WebhookId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.delete_webhook(&session, id).await?)
}

/// The newest webhook deliveries and how each went (admins only).
#[server(endpoint = "webhook_deliveries")]
pub async fn webhook_deliveries() -> Result<Vec<Delivery>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.webhook_deliveries(&session).await?)
}

/// The shared canned messages and the operator's own.
#[server(endpoint = "list_canned")]
pub async fn list_canned() -> Result<Vec<CannedMessage>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.canned_messages(&session).await?)
}

/// Creates (no `id`) or changes a canned message; `shared` ones are for supervisors and admins.
#[server(endpoint = "save_canned")]
pub async fn save_canned(
    id: Option<CannedId>,
    shared: bool,
    title: String,
    shortcut: String,
    body: String,
) -> Result<CannedMessage, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_canned(&session, id, shared, &title, &shortcut, &body)
        .await?)
}

/// Deletes a canned message.
#[server(endpoint = "delete_canned")]
pub async fn delete_canned(id: CannedId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.delete_canned(&session, id).await?)
}

/// A page of the action log, newest first, filtered (supervisors and admins). Times are UTC
/// milliseconds; `before` is the previous page's `next_before`.
#[server(endpoint = "action_log")]
pub async fn action_log(
    operator: Option<OperatorId>,
    chat: Option<ChatId>,
    action: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
    before: Option<i64>,
) -> Result<ActionPage, ConsoleError> {
    let (context, session) = ssr::session().await?;
    let filter = domain::log::ActionFilter {
        operator,
        chat,
        action: action.filter(|a| !a.is_empty()),
        from: from.map(domain::Timestamp),
        to: to.map(domain::Timestamp),
        before,
    };
    Ok(context.engine.action_log(&session, &filter).await?)
}

/// The bubble's saved settings and the server's address the snippet points at (admins only).
#[server(endpoint = "load_bubble")]
pub async fn load_bubble() -> Result<(BubbleSettings, String), ConsoleError> {
    let (context, session) = ssr::session().await?;
    let settings = context.engine.bubble_settings_for(&session).await?;
    Ok((settings, ssr::origin()))
}

/// Saves the bubble's texts and colour (admins only); a bad field is named in the error.
#[server(endpoint = "save_bubble")]
pub async fn save_bubble(
    title: String,
    greeting: String,
    color: String,
    launcher_label: String,
) -> Result<BubbleSettings, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context
        .engine
        .save_bubble_settings(&session, &title, &greeting, &color, &launcher_label)
        .await?)
}

/// Every channel with who serves it (archived ones too).
#[server(endpoint = "list_channels")]
pub async fn list_channels() -> Result<Vec<Channel>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.channels(&session).await?)
}

/// Creates (no `id`) or changes a channel: name, archived, and its own settings (admins only).
#[server(endpoint = "save_channel")]
pub async fn save_channel(
    id: Option<ChannelId>,
    name: String,
    archived: Option<bool>,
    name_required: String,
    invitation_text: String,
    invitation_name: Option<String>,
    routing: Option<String>,
    time_zone: Option<String>,
    business_hours: Option<String>,
) -> Result<Channel, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    let form = engine::ChannelForm {
        id,
        name,
        archived: archived.unwrap_or(false),
        name_required,
        invitation_text,
        invitation_name: invitation_name.unwrap_or_default(),
        routing,
        time_zone,
        business_hours,
    };
    Ok(context.engine.save_channel(&session, form).await?)
}

/// Sets who serves a channel; `operators` is a comma-separated list of ids (admins only).
#[server(endpoint = "set_channel_operators")]
pub async fn set_channel_operators(
    channel: ChannelId,
    operators: String,
) -> Result<Channel, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    let operators = operators
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            id.parse()
                .map_err(|_| domain::Error::invalid("operators", "That is not an operator id."))
        })
        .collect::<Result<Vec<OperatorId>, _>>()?;
    Ok(context
        .engine
        .set_channel_operators(&session, channel, operators)
        .await?)
}

/// The operator joins a channel or leaves it; answers every channel.
#[server(endpoint = "join_channel")]
pub async fn join_channel(channel: ChannelId, join: bool) -> Result<Vec<Channel>, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.join_channel(&session, channel, join).await?)
}

/// Moves a chat to another channel.
#[server(endpoint = "move_chat")]
pub async fn move_chat(chat_id: ChatId, channel: ChannelId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    context.engine.move_chat(&session, chat_id, channel).await?;
    Ok(())
}

/// The general settings (admins only).
#[server(endpoint = "load_settings")]
pub async fn load_settings() -> Result<Settings, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.settings_for(&session).await?)
}

/// Saves the general settings (admins only); the first invalid field is named in the error.
/// A client that leaves out the ban, default-password or escalation fields keeps their saved
/// values.
#[server(endpoint = "save_settings")]
pub async fn save_settings(
    invitation_text: String,
    away_after_minutes: String,
    inactivity_timeout_minutes: String,
    max_chats_per_operator: String,
    visitor_name_required: Option<bool>,
    kick_ban_minutes: Option<String>,
    default_password_days: Option<String>,
    escalate_after_seconds: Option<String>,
    supervisors_after_seconds: Option<String>,
    routing: Option<String>,
    assign_ack_seconds: Option<String>,
    live_support: Option<String>,
) -> Result<Settings, ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    let saved = context.engine.settings_for(&session).await?.form();
    let form = domain::settings::SettingsForm {
        invitation_text,
        away_after_minutes,
        inactivity_timeout_minutes,
        max_chats_per_operator,
        visitor_name_required: visitor_name_required.unwrap_or(false),
        kick_ban_minutes: kick_ban_minutes.unwrap_or(saved.kick_ban_minutes),
        default_password_days: default_password_days.unwrap_or(saved.default_password_days),
        escalate_after_seconds: escalate_after_seconds.unwrap_or(saved.escalate_after_seconds),
        supervisors_after_seconds: supervisors_after_seconds
            .unwrap_or(saved.supervisors_after_seconds),
        routing: routing.unwrap_or(saved.routing),
        assign_ack_seconds: assign_ack_seconds.unwrap_or(saved.assign_ack_seconds),
        // A select, so that leaving it out keeps the saved choice.
        live_support: match live_support.as_deref().map(str::trim) {
            None => saved.live_support,
            Some("on") => true,
            Some("off") => false,
            Some(_) => {
                return Err(domain::Error::invalid("live_support", "Choose on or off.").into());
            }
        },
    };
    Ok(context.engine.save_settings(&session, &form).await?)
}

/// The assignee turns an automatically assigned chat down; it goes to the next candidate.
#[server(endpoint = "decline_assignment")]
pub async fn decline_assignment(chat: ChatId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.decline_assignment(&session, chat).await?)
}

/// Messages visitors left while live chat was not offered: the open ones, or the closed.
#[server(endpoint = "follow_ups")]
pub async fn follow_ups(closed: Option<bool>) -> Result<Vec<FollowUp>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context
        .engine
        .follow_ups(&session, closed.unwrap_or(false))
        .await?)
}

/// Closes a follow-up once it is answered.
#[server(endpoint = "close_follow_up")]
pub async fn close_follow_up(id: FollowUpId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.close_follow_up(&session, id).await?)
}

/// Visitors barred from new chats after a kick (admins only).
#[server(endpoint = "banned_visitors")]
pub async fn banned_visitors() -> Result<Vec<BannedVisitor>, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.banned_visitors(&session).await?)
}

/// Lets a banned visitor start chats again (admins only).
#[server(endpoint = "lift_ban")]
pub async fn lift_ban(visitor: VisitorId) -> Result<(), ConsoleError> {
    let (context, session) = ssr::acting_session().await?;
    Ok(context.engine.lift_ban(&session, visitor).await?)
}

/// The invitation the operator starts from, in a channel or in none.
#[server(endpoint = "invitation_text")]
pub async fn load_invitation(channel: Option<ChannelId>) -> Result<String, ConsoleError> {
    let (context, session) = ssr::session().await?;
    Ok(context.engine.invitation_text(&session, channel).await?)
}
