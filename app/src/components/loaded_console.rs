//! Loads the console snapshot once, provides the `Console` to everything inside and, in the
//! browser, keeps it live (event stream, window visibility, clock) while it is shown. The
//! console frame and a chat's own window each have one.

use leptos::prelude::*;

use crate::api::load_console;
use crate::state::Console;

/// A loaded, live console around `children`. `announces`: whether this one rings and pops up
/// alerts (a chat's own window leaves that to the main console).
#[component]
pub fn LoadedConsole(announces: bool, children: ChildrenFn) -> impl IntoView {
    let console = Console::new(announces);
    provide_context(console);
    provide_context(crate::components::canned_picker::CannedList::new());
    let snapshot = crate::json::resource(|| (), |()| load_console());
    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match snapshot.await {
                        Ok(snapshot) => {
                            console.load(&snapshot);
                            view! { <Live>{children()}</Live> }.into_any()
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
                })
            }}
        </Suspense>
    }
}

/// Keeps the console current for as long as its children are shown.
#[component]
fn Live(children: Children) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    crate::state::live::start(expect_context::<Console>());
    children()
}
