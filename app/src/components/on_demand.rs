//! Parts of the console that a page load seldom shows: the alert pop-ups, the dock of my
//! chats, the signed-off notice. Each is cut out of the bundle (`#[lazy]`) and fetched the
//! first time it has something to show, so a console that never needs one never loads it.

use std::future::Future;

use leptos::prelude::*;

/// Shows what `load` brings once `when` first holds, and from then on (the part hides itself
/// when it has nothing to show). Nothing is rendered on the server or before the page is
/// hydrated, so the server's page and the hydrated one agree whatever `when` says.
#[component]
pub fn OnDemand<W, L, F>(when: W, load: L) -> impl IntoView
where
    W: Fn() -> bool + Send + Sync + 'static,
    L: Fn() -> F + Copy + Send + Sync + 'static,
    F: Future<Output = AnyView> + Send + 'static,
{
    let wanted = RwSignal::new(false);
    Effect::new(move |_| {
        if !wanted.get_untracked() && when() {
            wanted.set(true);
        }
    });
    move || {
        wanted.get().then(|| {
            view! {
                <Suspense fallback=|| ()>
                    {Suspend::new(load())}
                </Suspense>
            }
        })
    }
}
