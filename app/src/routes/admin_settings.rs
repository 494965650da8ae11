//! Settings (admins only, A5): the default invitation text, when an operator shows as away and
//! counts as gone, how many chats an operator may take at once, and whether visitors must give
//! their name. Channels may override the last and the invitation. The server validates and
//! names the field at fault.

use domain::ErrorCode;
use domain::routing::RoutingMode;
use domain::settings::{Settings, SettingsForm};
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;

use crate::api;
use crate::components::form_failure::Failure;
use crate::routes::admin_operators::is_admin;
use crate::state::Console;

/// The fields the server may name.
const FIELDS: [&str; 11] = [
    "invitation_text",
    "away_after_minutes",
    "inactivity_timeout_minutes",
    "max_chats_per_operator",
    "kick_ban_minutes",
    "default_password_days",
    "escalate_after_seconds",
    "supervisors_after_seconds",
    "assign_ack_seconds",
    "retention_days",
    "ice_servers",
];

/// The Settings page.
#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let console = expect_context::<Console>();
    let admin = move || is_admin(console);
    let loaded = crate::json::resource(|| (), |()| api::load_settings());
    let lift = ServerAction::<api::LiftBan>::new();
    let banned = crate::json::resource(move || lift.version().get(), |_| api::banned_visitors());
    view! {
        <section class="page settings">
            <h1>"Settings"</h1>
            <Show when=admin fallback=AdminOnly>
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match loaded.await {
                            Ok(settings) => view! { <SettingsForm settings /> }.into_any_at_once(),
                            Err(err) if err.code() == ErrorCode::Forbidden => {
                                view! { <AdminOnly /> }.into_any_at_once()
                            }
                            Err(err) => view! {
                                <p class="error" data-testid="settings-error">{err.message().to_owned()}</p>
                            }
                                .into_any_at_once(),
                        }
                    })}
                </Suspense>
                <BannedVisitors lift banned />
            </Show>
        </section>
    }
}

#[component]
fn AdminOnly() -> impl IntoView {
    view! { <p class="empty" data-testid="settings-admin-only">"Only admins can change the settings."</p> }
}

#[component]
fn NumberField(
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <label>
            {label}
            <input
                type="number"
                inputmode="numeric"
                data-testid=testid
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <span class="hint">{hint}</span>
        </label>
    }
}

#[component]
fn SettingsForm(settings: Settings) -> impl IntoView {
    let invitation = RwSignal::new(settings.invitation_text.clone());
    let away = RwSignal::new(settings.away_after_minutes.to_string());
    let inactivity = RwSignal::new(settings.inactivity_timeout_minutes.to_string());
    let max_chats = RwSignal::new(settings.max_chats_per_operator.to_string());
    let name_required = RwSignal::new(settings.visitor_name_required);
    let kick_ban = RwSignal::new(settings.kick_ban_minutes.to_string());
    let password_days = RwSignal::new(settings.default_password_days.to_string());
    let escalate = RwSignal::new(settings.escalate_after_seconds.to_string());
    let supervisors = RwSignal::new(settings.supervisors_after_seconds.to_string());
    let routing = RwSignal::new(settings.routing);
    let ack = RwSignal::new(settings.assign_ack_seconds.to_string());
    let live = RwSignal::new(settings.live_support);
    let retention = RwSignal::new(settings.retention_days.to_string());
    let ice = RwSignal::new(domain::call::IceServer::to_lines(&settings.ice_servers));
    let failure = Failure::new("settings", &FIELDS);
    let saved = RwSignal::new(false);
    let busy = RwSignal::new(false);
    // Until the page runs in the browser, Save would submit a plain form.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let fill = move |s: &Settings| {
        invitation.set(s.invitation_text.clone());
        away.set(s.away_after_minutes.to_string());
        inactivity.set(s.inactivity_timeout_minutes.to_string());
        max_chats.set(s.max_chats_per_operator.to_string());
        name_required.set(s.visitor_name_required);
        kick_ban.set(s.kick_ban_minutes.to_string());
        password_days.set(s.default_password_days.to_string());
        escalate.set(s.escalate_after_seconds.to_string());
        supervisors.set(s.supervisors_after_seconds.to_string());
        routing.set(s.routing);
        ack.set(s.assign_ack_seconds.to_string());
        live.set(s.live_support);
        retention.set(s.retention_days.to_string());
        ice.set(domain::call::IceServer::to_lines(&s.ice_servers));
    };
    let save = move || {
        saved.set(false);
        let request = api::save_settings(SettingsForm {
            invitation_text: invitation.get_untracked(),
            away_after_minutes: away.get_untracked(),
            inactivity_timeout_minutes: inactivity.get_untracked(),
            max_chats_per_operator: max_chats.get_untracked(),
            visitor_name_required: name_required.get_untracked(),
            kick_ban_minutes: kick_ban.get_untracked(),
            default_password_days: password_days.get_untracked(),
            escalate_after_seconds: escalate.get_untracked(),
            supervisors_after_seconds: supervisors.get_untracked(),
            routing: routing.get_untracked(),
            assign_ack_seconds: ack.get_untracked(),
            live_support: live.get_untracked(),
            retention_days: retention.get_untracked(),
            ice_servers: ice.get_untracked(),
        });
        failure.submit(busy, request, move |settings| {
            fill(&settings);
            saved.set(true);
        });
    };
    view! {
        <form
            class="form panel settings-form"
            data-testid="settings-form"
            on:submit=move |ev| {
                ev.prevent_default();
                save();
            }
        >
            <label>
                "Default invitation"
                <textarea
                    rows="4"
                    data-testid="settings-invitation"
                    prop:value=move || invitation.get()
                    on:input=move |ev| invitation.set(event_target_value(&ev))
                ></textarea>
                <span class="hint">
                    "%name% is the operator's name in invitations (My profile), %channel% the chat's channel."
                </span>
            </label>
            {failure.field("invitation_text")}
            <NumberField
                label="Away after (minutes)"
                hint="An operator who sent nothing to the server for this long shows as away."
                value=away
                testid="settings-away"
            />
            {failure.field("away_after_minutes")}
            <NumberField
                label="Inactivity timeout (minutes)"
                hint="An operator inactive this long counts as gone. Longer than the away threshold."
                value=inactivity
                testid="settings-inactivity"
            />
            {failure.field("inactivity_timeout_minutes")}
            <NumberField
                label="Most chats per operator at once"
                hint="Accepting, joining or taking over one more is refused. 0: no limit."
                value=max_chats
                testid="settings-max-chats"
            />
            {failure.field("max_chats_per_operator")}
            <NumberField
                label="Alert again after (seconds)"
                hint="A chat still waiting this long rings, notifies and pops up again for its operators."
                value=escalate
                testid="settings-escalate"
            />
            {failure.field("escalate_after_seconds")}
            <NumberField
                label="Alert supervisors after (seconds)"
                hint="A chat still waiting this long alerts every supervisor and admin too. Longer than the above."
                value=supervisors
                testid="settings-supervisors"
            />
            {failure.field("supervisors_after_seconds")}
            <label>
                "Live support"
                <select
                    data-testid="settings-live-support"
                    prop:value=move || if live.get() { "on" } else { "off" }
                    on:change=move |ev| live.set(event_target_value(&ev) == "on")
                >
                    <option value="on">"On: visitors can start live chats"</option>
                    <option value="off">"Off: the bubble only takes messages"</option>
                </select>
            </label>
            <label>
                "Routing"
                <select
                    data-testid="settings-routing"
                    prop:value=move || routing.get().as_str()
                    on:change=move |ev| {
                        if let Some(mode) = RoutingMode::parse(&event_target_value(&ev)) {
                            routing.set(mode);
                        }
                    }
                >
                    <option value="manual">"Manual: every available operator is told"</option>
                    <option value="automatic">"Automatic: one operator is assigned"</option>
                </select>
                <span class="hint">"Channels may choose their own."</span>
            </label>
            <NumberField
                label="Accept an assigned chat within (seconds)"
                hint="In automatic routing, an assigned chat not accepted in time goes to the next operator."
                value=ack
                testid="settings-assign-ack"
            />
            {failure.field("assign_ack_seconds")}
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="settings-name-required"
                    prop:checked=move || name_required.get()
                    on:change=move |ev| name_required.set(event_target_checked(&ev))
                />
                "Visitors must give their name (channels may differ)"
            </label>
            <NumberField
                label="Ban after a kick (minutes)"
                hint="A kicked visitor cannot start another chat for this long; lift it below. 0: no ban."
                value=kick_ban
                testid="settings-kick-ban"
            />
            {failure.field("kick_ban_minutes")}
            <NumberField
                label="First password works for (days)"
                hint="New and reset accounts must log in and change \"password\" within this time."
                value=password_days
                testid="settings-password-days"
            />
            {failure.field("default_password_days")}
            <NumberField
                label="Keep closed chats for (days)"
                hint="Older closed chats are deleted with their messages, transcripts and ratings, every hour. 0: for ever."
                value=retention
                testid="settings-retention"
            />
            {failure.field("retention_days")}
            <label>
                "Voice call servers (STUN / TURN)"
                <textarea
                    rows="3"
                    data-testid="settings-ice-servers"
                    placeholder="stun:stun.example.org:3478"
                    prop:value=move || ice.get()
                    on:input=move |ev| ice.set(event_target_value(&ev))
                ></textarea>
                <span class="hint">
                    "One per line: stun:host:port, or turn:host:port user-name credential. Empty: calls connect directly, as on a LAN."
                </span>
            </label>
            {failure.field("ice_servers")}
            <div class="actions">
                <button
                    type="submit"
                    class="primary"
                    data-testid="settings-save"
                    disabled=move || !hydrated.get() || busy.get()
                >
                    "Save"
                </button>
                <Show when=move || saved.get()>
                    <span class="saved" role="status" data-testid="settings-saved">"Saved."</span>
                </Show>
            </div>
            {failure.general()}
        </form>
    }
}

/// Visitors barred after a kick, each with a button that lifts the ban at once.
#[component]
fn BannedVisitors(
    lift: ServerAction<api::LiftBan>,
    banned: Resource<
        Result<Vec<domain::admin::BannedVisitor>, crate::error::ConsoleError>,
        crate::json::Json,
    >,
) -> impl IntoView {
    view! {
        <section class="panel banned" data-testid="banned-visitors">
            <h2>"Banned visitors"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match banned.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty" data-testid="banned-none">"Nobody is banned."</p>
                        }
                            .into_any_at_once(),
                        Ok(list) => view! {
                            <ul class="banned-list">
                                {list
                                    .into_iter()
                                    .map(|visitor| {
                                        let name = visitor
                                            .name
                                            .clone()
                                            .unwrap_or_else(|| "Anonymous visitor".to_owned());
                                        let until = crate::components::time::clock(visitor.banned_until);
                                        view! {
                                            <li data-testid="banned-visitor">
                                                <span class="who">{name}</span>
                                                <span class="hint">{format!(" until {until}")}</span>
                                                <ActionForm action=lift attr:class="inline">
                                                    <input type="hidden" name="visitor" value=visitor.visitor_id.to_string() />
                                                    <button type="submit" data-testid="lift-ban">"Lift ban"</button>
                                                </ActionForm>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any_at_once(),
                        Err(err) => view! { <p class="error">{err.message().to_owned()}</p> }.into_any_at_once(),
                    }
                })}
            </Suspense>
        </section>
    }
}
