//! The "Enable desktop notifications" button. Browsers only let a page ask from a user's
//! click, so the console asks here and nowhere else; the button is hidden once the operator has
//! answered or where notifications are not supported.

use leptos::prelude::*;

/// Asks for permission to show desktop notifications.
#[component]
pub fn EnableNotifications() -> impl IntoView {
    // Unknown on the server: shown only once the browser says the question is still open.
    let may_ask = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| may_ask.set(crate::browser::may_ask_for_notifications()));
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            crate::browser::ask_for_notifications().await;
            may_ask.set(crate::browser::may_ask_for_notifications());
        });
    };
    view! {
        <Show when=move || may_ask.get()>
            <button class="link enable-notifications" data-testid="enable-notifications" on:click=ask>
                "Enable desktop notifications"
            </button>
        </Show>
    }
}
