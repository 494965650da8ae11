//! The pages the browser loads when they are first visited, not with the console: each is cut
//! out of the bundle at build time (`cargo xtask build` splits the WebAssembly at these routes)
//! and fetched the first time the router reaches it, so the first load carries only the
//! console's frame, its live state and the Dashboard. On the server they render as any page.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use crate::components::at_once::at_once;

use super::{
    action_log::ActionLogPage, admin_bubble::AdminBubblePage, admin_mail::AdminMailPage,
    admin_operators::AdminOperatorsPage, admin_settings::AdminSettingsPage,
    admin_visitors::AdminVisitorsPage, admin_webhooks::AdminWebhooksPage, canned::CannedPage,
    channels::ChannelsPage, chat_window::ChatWindowPage, history::HistoryPage, login::LoginPage,
    my_chats::MyChatsPage, password::ForcedPasswordPage, profile::ProfilePage,
    reports::ReportsPage, tickets::TicketsPage, visitors::VisitorsPage,
};

/// A route whose page is loaded on first visit. Pages fetch their own data once they are
/// built, so there is no route data to start early.
///
/// Until the page is live in the browser its controls are disabled: the server-rendered page
/// shows at once, but its pieces of the bundle arrive a moment after it, and a choice made or a
/// line typed before then would be reset by hydration, or an Enter lost. The gate opens when the
/// page's first effect runs, which is once it is hydrated. The login and password pages stay
/// open: their forms post without the bundle.
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        lazy_page!($route, $page, |page: AnyView| page);
    };
    ($route:ident, $page:ident, gated) => {
        lazy_page!($route, $page, gate);
    };
    ($route:ident, $page:ident, $wrap:expr) => {
        #[doc = concat!("The lazily loaded [`", stringify!($page), "`].")]
        #[derive(Clone, Copy, Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                ($wrap)(at_once(view! { <$page /> }).into_any())
            }
        }
    };
}

/// A page whose controls are disabled until it is hydrated.
fn gate(page: AnyView) -> AnyView {
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    at_once(view! {
        <fieldset class="page-gate" disabled=move || !live.get()>
            {page}
        </fieldset>
    })
    .into_any()
}

lazy_page!(Login, LoginPage);
lazy_page!(ForcedPassword, ForcedPasswordPage);
lazy_page!(ChatWindow, ChatWindowPage, gated);
lazy_page!(MyChats, MyChatsPage, gated);
lazy_page!(Visitors, VisitorsPage, gated);
lazy_page!(Tickets, TicketsPage, gated);
lazy_page!(History, HistoryPage, gated);
lazy_page!(Reports, ReportsPage, gated);
lazy_page!(Profile, ProfilePage, gated);
lazy_page!(Canned, CannedPage, gated);
lazy_page!(Channels, ChannelsPage, gated);
lazy_page!(AdminSettings, AdminSettingsPage, gated);
lazy_page!(AdminOperators, AdminOperatorsPage, gated);
lazy_page!(AdminBubble, AdminBubblePage, gated);
lazy_page!(AdminWebhooks, AdminWebhooksPage, gated);
lazy_page!(AdminMail, AdminMailPage, gated);
lazy_page!(AdminVisitors, AdminVisitorsPage, gated);
lazy_page!(ActionLog, ActionLogPage, gated);
