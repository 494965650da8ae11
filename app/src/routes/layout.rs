//! The console frame: sidebar with badges, the live-connection dot, desktop notifications and
//! the online operators; the notice line and the page outlet; and, over every page, the alert
//! pop-ups and the docked strip.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_navigate;

use crate::api::{self, Logout};
use crate::components::alert_popups::AlertPopups;
use crate::components::at_once::{IntoAnyAtOnce, at_once};
use crate::components::badge::Badge;
use crate::components::connection_banner::ConnectionBanner;
use crate::components::desktop_notifications::EnableNotifications;
use crate::components::dock::Dock;
use crate::components::loaded_console::LoadedConsole;
use crate::components::notice::Notice;
use crate::components::on_demand::OnDemand;
use crate::components::online_operators::OnlineOperators;
use crate::pages::{NavBadge, PAGES};
use crate::state::Console;

/// Moves focus past the sidebar to the page's content (the router would otherwise take the
/// link's click for a navigation).
fn skip_to_content(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(content) = document()
            .get_element_by_id("content")
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = content.focus();
        }
    }
}

#[lazy]
fn alert_popups() -> AnyView {
    view! { <AlertPopups /> }.into_any_at_once()
}

#[lazy]
fn dock() -> AnyView {
    view! { <Dock /> }.into_any_at_once()
}

#[lazy]
fn signed_off() -> AnyView {
    view! { <SignedOff /> }.into_any_at_once()
}

/// The console frame.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    view! {
        <LoadedConsole announces=true>
            <Frame />
        </LoadedConsole>
    }
}

#[component]
fn Frame() -> impl IntoView {
    let console = expect_context::<Console>();
    let logout = ServerAction::<Logout>::new();
    let waiting = Signal::derive(move || console.model.with(|m| m.waiting_count()));
    let unread = Signal::derive(move || console.model.with(|m| m.total_unread()));
    // Visitors on the site: counted again when a change is heard (each node says so at most
    // about once a second) and every quarter minute, when visitors who left drop out.
    let on_site = RwSignal::new(0usize);
    let quarter = Memo::new(move |_| console.now.get().0 / 15_000);
    Effect::new(move |_| {
        console.visitors.track();
        quarter.with(|_| ());
        leptos::task::spawn_local(async move {
            if let Ok(count) = crate::api::visitors_on_site().await {
                on_site.try_set(usize::try_from(count).unwrap_or(usize::MAX));
            }
        });
    });
    let live = move || console.connection.get().is_live();
    let navigate = use_navigate();
    // Whether the navigation is unfolded (small screens); folded again on every page change.
    let menu = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        // Read, not only tracked: a memo that was never read has not met its sources, so it
        // would not tell of a change.
        location.pathname.with(|_| ());
        menu.set(false);
    });
    Effect::new(move |_| {
        if let Some(page) = console.go_to.get() {
            console.go_to.set(None);
            navigate(page, Default::default());
        }
    });

    view! {
        <div class="console">
            <a class="skip-link" href="#content" data-testid="skip-link" on:click=skip_to_content>
                "Skip to content"
            </a>
            // Pop-ups come early in the page's order, so their Accept is a few Tabs away
            // wherever the operator is; they are drawn in the corner whatever their place.
            {at_once(view! {
                <div class="corner">
                    <OnDemand
                        when=move || console.alerts.with(|alerts| !alerts.is_empty())
                        load=alert_popups
                    />
                    <crate::voice::CallBar />
                    <OnDemand when=move || console.model.with(|m| !m.my_chat_titles().is_empty()) load=dock />
                </div>
            })}
            {at_once(view! {
                <nav class="sidebar" class:open=move || menu.get() aria-label="Console">
                    <div class="top">
                        <div class="brand">"Switchboard"</div>
                        // On a phone the navigation folds into this menu.
                        <button
                            type="button"
                            class="menu-toggle"
                            data-testid="menu-toggle"
                            aria-expanded=move || menu.get().to_string()
                            on:click=move |_| menu.update(|open| *open = !*open)
                        >
                            "Menu"
                        </button>
                    </div>
                    {PAGES
                        .iter()
                        .map(|page| {
                            let shown = move || {
                                console.me.with(|me| me.as_ref().is_some_and(|me| me.role >= page.role))
                            };
                            view! {
                                <Show when=shown>
                                    <A href=page.path exact=page.path == "/" attr:data-testid=page.testid>
                                        <span>{page.label}</span>
                                        {match page.badge {
                                            NavBadge::Waiting => {
                                                view! { <Badge count=waiting testid="badge-waiting" what="waiting" /> }
                                                    .into_any_at_once()
                                            }
                                            NavBadge::Unread => {
                                                view! { <Badge count=unread testid="badge-unread" what="unread" /> }
                                                    .into_any_at_once()
                                            }
                                            NavBadge::Visitors => {
                                                view! { <Badge count=on_site testid="badge-visitors" what="on the site" /> }
                                                    .into_any_at_once()
                                            }
                                            NavBadge::None => ().into_any_at_once(),
                                        }}
                                    </A>
                                </Show>
                            }
                        })
                        .collect_view()}
                    <OnlineOperators />
                    <div class="spacer"></div>
                    <EnableNotifications />
                    <div class="me">
                        <span
                            class=move || if live() { "dot live" } else { "dot" }
                            data-testid="live-dot"
                            data-live=move || live().to_string()
                            title=move || if live() { "Connected" } else { "Reconnecting…" }
                            aria-hidden="true"
                        ></span>
                        <span class="visually-hidden" data-testid="live-text">
                            {move || if live() { "Connected" } else { "Reconnecting" }}
                        </span>
                        <span data-testid="me-name">{move || console.me.get().map(|m| m.chat_name)}</span>
                        <AvailabilityToggle />
                    </div>
                    <ActionForm action=logout>
                        <button type="submit" class="link" data-testid="logout">"Log out"</button>
                    </ActionForm>
                </nav>
            })}
            <main class="content" id="content" tabindex="-1">
                {at_once(view! {
                    <ConnectionBanner />
                    <OnDemand
                        when=move || console.me.with(|me| me.as_ref().is_some_and(|me| me.signed_off_at.is_some()))
                        load=signed_off
                    />
                    <Notice />
                })}
                <Outlet />
            </main>
        </div>
    }
}

/// Why the operator was signed off (O17), with the way back.
#[component]
fn SignedOff() -> impl IntoView {
    let console = expect_context::<Console>();
    let since = move || {
        console
            .me
            .with(|me| me.as_ref().and_then(|me| me.signed_off_at))
    };
    let busy = RwSignal::new(false);
    let rejoin = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let done = api::rejoin().await;
            busy.set(false);
            match done {
                Ok(()) => {
                    console.me.update(|me| {
                        if let Some(me) = me {
                            me.signed_off_at = None;
                        }
                    });
                    if let Ok(channels) = api::list_channels().await {
                        console.model.update(|m| m.channels = channels);
                    }
                }
                Err(err) => console.report(&err),
            }
        });
    };
    move || {
        since().map(|at| {
            view! {
                <div class="banner signed-off" role="alert" data-testid="signed-off">
                    <p>
                        {format!(
                            "You were signed off at {} after too long without activity: you were taken out of your channels and offered no chats. Your open chats stay yours.",
                            crate::components::time::clock(at),
                        )}
                    </p>
                    <button class="primary" data-testid="rejoin" disabled=move || busy.get() on:click=rejoin>
                        "Rejoin"
                    </button>
                </div>
            }
        })
    }
}

/// Available or Unavailable, set by hand (O16): while Unavailable the operator is offered no
/// chats and gets no new-chat pop-ups; colleagues see a red dot.
#[component]
fn AvailabilityToggle() -> impl IntoView {
    let console = expect_context::<Console>();
    let unavailable = move || {
        console
            .me
            .with(|me| me.as_ref().is_some_and(|me| me.unavailable))
    };
    let busy = RwSignal::new(false);
    let toggle = move |_| {
        let next = !unavailable();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let set = api::set_unavailable(next).await;
            busy.set(false);
            match set {
                Ok(()) => {
                    console.me.update(|me| {
                        if let Some(me) = me {
                            me.unavailable = next;
                        }
                    });
                    console.model.update(|m| m.unavailable = next);
                }
                Err(err) => console.report(&err),
            }
        });
    };
    view! {
        <button
            type="button"
            class=move || if unavailable() { "availability unavailable" } else { "availability" }
            data-testid="availability-toggle"
            aria-pressed=move || unavailable().to_string()
            title="Unavailable: no chats are offered to you"
            disabled=move || busy.get()
            on:click=toggle
        >
            {move || if unavailable() { "Unavailable" } else { "Available" }}
        </button>
    }
}
