//! The console frame: sidebar with badges, the live-connection dot, and the page outlet. It loads
//! the console snapshot and (in the browser) connects the live stream.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::api::{Logout, load_console};
use crate::components::badge::Badge;
use crate::state::Console;

/// The console frame.
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    let snapshot = Resource::new(|| (), |()| load_console());
    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match snapshot.await {
                    Ok(snapshot) => {
                        console.load(&snapshot);
                        view! { <Frame console /> }.into_any()
                    }
                    Err(err) => view! {
                        <main class="centered">
                            <div class="card">
                                <p class="error">{err.message().to_owned()}</p>
                                <p><a href="/login">"Log in again"</a></p>
                            </div>
                        </main>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(console: Console) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let waiting = Signal::derive(move || console.model.with(|m| m.waiting_count()));
    let unread = Signal::derive(move || console.model.with(|m| m.total_unread()));

    #[cfg(feature = "hydrate")]
    {
        crate::state::live::connect(console);
        watch_visibility(console);
        on_cleanup(crate::state::live::disconnect);
    }

    view! {
        <div class="console">
            <nav class="sidebar">
                <div class="brand">"Switchboard"</div>
                <A href="/" exact=true attr:data-testid="nav-dashboard">
                    <span>"Dashboard"</span>
                    <Badge count=waiting testid="badge-waiting" />
                </A>
                <A href="/chats" attr:data-testid="nav-my-chats">
                    <span>"My Chats"</span>
                    <Badge count=unread testid="badge-unread" />
                </A>
                <A href="/profile" attr:data-testid="nav-profile">
                    <span>"My profile"</span>
                </A>
                <div class="spacer"></div>
                <div class="me">
                    <span
                        class=move || if console.live.get() { "dot live" } else { "dot" }
                        data-testid="live-dot"
                        data-live=move || console.live.get().to_string()
                        title=move || if console.live.get() { "Connected" } else { "Reconnecting…" }
                    ></span>
                    <span>{move || console.me.get().map(|m| m.chat_name)}</span>
                </div>
                <ActionForm action=logout>
                    <button type="submit" class="link" data-testid="logout">"Log out"</button>
                </ActionForm>
            </nav>
            <main class="content">
                {move || console.notice.get().map(|notice| view! {
                    <div class="notice" role="alert" data-testid="notice">
                        <span>{notice}</span>
                        <button class="link" on:click=move |_| console.notice.set(None)>"Dismiss"</button>
                    </div>
                })}
                <Outlet />
            </main>
        </div>
    }
}

#[cfg(feature = "hydrate")]
fn watch_visibility(console: Console) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let document = document();
    let read = document.clone();
    console
        .visible
        .set(read.visibility_state() == web_sys::VisibilityState::Visible);
    let on_change = Closure::<dyn FnMut()>::new(move || {
        console
            .visible
            .set(read.visibility_state() == web_sys::VisibilityState::Visible);
    });
    let _ = document
        .add_event_listener_with_callback("visibilitychange", on_change.as_ref().unchecked_ref());
    on_change.forget();
}
