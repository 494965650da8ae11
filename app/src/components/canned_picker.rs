//! Canned messages in the console: the list an operator may insert (shared ones and their own),
//! loaded once per console and refreshed when the picker opens or the Canned messages page
//! changes it; the entry bar's picker; and the pure rules for what inserting or typing a
//! `/shortcut` does to the entry.

use domain::canned::{CannedMessage, Variables, by_shortcut, expand, search};
use leptos::html;
use leptos::prelude::*;

use crate::components::at_once::IntoAnyAtOnce;
use leptos::task::spawn_local;

use crate::api;

/// The canned messages I may insert. Provide one per console (`provide_context`) so every entry
/// bar and the Canned messages page share it; where none is provided, each user keeps its own.
#[derive(Clone, Copy, Debug)]
pub struct CannedList {
    /// The messages; `None` until the first answer.
    messages: RwSignal<Option<Vec<CannedMessage>>>,
    /// Why the last load failed, shown where the list is.
    error: RwSignal<Option<String>>,
    /// Counts loads, so an answer overtaken by a later load is dropped.
    generation: StoredValue<u64>,
}

impl Default for CannedList {
    fn default() -> Self {
        Self::new()
    }
}

impl CannedList {
    /// An empty list, not loaded yet.
    pub fn new() -> Self {
        Self {
            messages: RwSignal::new(None),
            error: RwSignal::new(None),
            generation: StoredValue::new(0),
        }
    }

    /// The console's list, or one of the caller's own where the console provides none.
    pub fn from_context() -> Self {
        use_context::<Self>().unwrap_or_default()
    }

    /// Loads the list unless a load has already been started.
    pub fn ensure_loaded(self) {
        if self.generation.try_get_value() == Some(0) {
            self.refresh();
        }
    }

    /// Loads the list again; the latest load wins.
    pub fn refresh(self) {
        let Some(generation) = self.generation.try_update_value(|g| {
            *g += 1;
            *g
        }) else {
            return;
        };
        spawn_local(async move {
            let answer = api::list_canned().await;
            if self.generation.try_get_value() != Some(generation) {
                return;
            }
            match answer {
                Ok(messages) => {
                    self.messages.try_set(Some(messages));
                    self.error.try_set(None);
                }
                Err(err) => {
                    self.error.try_set(Some(err.message().to_owned()));
                }
            }
        });
    }

    /// Runs `f` with the messages, an empty list until loaded (tracked).
    pub fn with<T>(self, f: impl FnOnce(&[CannedMessage]) -> T) -> T {
        self.messages.with(|m| f(m.as_deref().unwrap_or_default()))
    }

    /// Runs `f` with the messages, an empty list until loaded (untracked).
    pub fn with_untracked<T>(self, f: impl FnOnce(&[CannedMessage]) -> T) -> T {
        match self.messages.try_read_untracked() {
            Some(messages) => f(messages.as_deref().unwrap_or_default()),
            None => f(&[]),
        }
    }

    /// Whether a first answer has come (tracked).
    pub fn loaded(self) -> bool {
        self.messages.with(Option::is_some)
    }

    /// Why the last load failed (tracked).
    pub fn error(self) -> Option<String> {
        self.error.get()
    }
}

/// The variables of a chat for me: my chat name and, in a visitor's chat, the visitor's name
/// and the chat's channel. Whatever is unknown (no channel) stays visible.
pub fn chat_variables(my_name: &str, visitor_name: &str, channel: Option<&str>) -> Variables {
    let known = |value: &str| (!value.trim().is_empty()).then(|| value.to_owned());
    Variables {
        name: known(my_name),
        visitor: known(visitor_name),
        channel: channel.and_then(known),
    }
}

/// Whether the entry holds nothing but a `/shortcut` being typed (perhaps just the slash).
pub fn is_typing_shortcut(entry: &str) -> bool {
    entry.trim().strip_prefix('/').is_some_and(|rest| {
        rest.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    })
}

/// The entry after inserting a canned message's `text`: the text alone when the entry is empty
/// or holds a `/shortcut` being typed, otherwise the entry with the text appended.
pub fn insert_canned(entry: &str, text: &str) -> String {
    if entry.trim().is_empty() || is_typing_shortcut(entry) {
        return text.to_owned();
    }
    let mut joined = entry.to_owned();
    if !joined.ends_with(char::is_whitespace) {
        joined.push(' ');
    }
    joined.push_str(text);
    joined
}

/// What the entry becomes when it is exactly a known `/shortcut` (my own before a shared one):
/// that message's text with the variables filled in.
pub fn expand_shortcut(
    entry: &str,
    messages: &[CannedMessage],
    variables: &Variables,
) -> Option<String> {
    if !is_typing_shortcut(entry) {
        return None;
    }
    by_shortcut(messages, entry).map(|message| expand(&message.body, variables))
}

/// The option highlighted after an arrow key, wrapping at both ends.
pub fn step(highlighted: usize, count: usize, down: bool) -> usize {
    match (count, down) {
        (0, _) => 0,
        (_, true) => (highlighted + 1) % count,
        (_, false) => highlighted
            .checked_sub(1)
            .unwrap_or(count - 1)
            .min(count - 1),
    }
}

/// The picker of the entry bar: a search box and the matching messages. Arrows move, Enter or
/// a click picks, Escape closes. It refreshes the list as it opens.
#[component]
pub fn CannedPicker(
    /// The messages to choose from.
    list: CannedList,
    /// Called with the message picked.
    on_pick: Callback<CannedMessage>,
    /// Called when the operator closes the picker without picking.
    on_close: Callback<()>,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let highlighted = RwSignal::new(0_usize);
    let matches = Memo::new(move |_| {
        let query = query.get();
        list.with(|messages| {
            search(messages, &query)
                .into_iter()
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let search_box = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search_box.get() {
            // Focus is a convenience; a browser that refuses it changes nothing else.
            let _ = input.focus();
        }
    });
    // The highlight stays inside the list when a refresh shortens it.
    let current = move || {
        let count = matches.with(Vec::len);
        highlighted.get().min(count.saturating_sub(1))
    };
    let pick_highlighted = move || {
        let picked = matches.with_untracked(|m| {
            m.get(highlighted.get_untracked().min(m.len().saturating_sub(1)))
                .cloned()
        });
        if let Some(message) = picked {
            on_pick.run(message);
        }
    };
    // In the search box: arrows move through the options and Enter picks one.
    let on_search_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        key @ ("ArrowDown" | "ArrowUp") => {
            ev.prevent_default();
            let count = matches.with_untracked(Vec::len);
            highlighted.update(|h| *h = step(*h, count, key == "ArrowDown"));
        }
        "Enter" => {
            ev.prevent_default();
            pick_highlighted();
        }
        _ => {}
    };
    // Anywhere in the picker: Escape closes it.
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            on_close.run(());
        }
    };
    let options = move || {
        let current = current();
        matches.with(|found| {
            if found.is_empty() {
                let empty = if list.loaded() && list.with(<[CannedMessage]>::is_empty) {
                    "No canned messages yet: add some on the Canned messages page."
                } else if list.loaded() {
                    "No canned message matches."
                } else {
                    "Loading…"
                };
                return view! { <p class="empty" data-testid="canned-none">{empty}</p> }
                    .into_any_at_once();
            }
            view! {
                <ul class="canned-options" role="listbox" aria-label="Canned messages">
                    {found
                        .iter()
                        .enumerate()
                        .map(|(index, message)| {
                            let picked = message.clone();
                            view! {
                                <li
                                    role="option"
                                    class="canned-option"
                                    data-testid="canned-option"
                                    data-shortcut=message.shortcut.clone()
                                    aria-selected=(index == current).to_string()
                                    on:mouseenter=move |_| highlighted.set(index)
                                    on:click=move |_| on_pick.run(picked.clone())
                                >
                                    <span class="title">{message.title.clone()}</span>
                                    <code class="shortcut">"/" {message.shortcut.clone()}</code>
                                    {message.owner.is_none().then(|| view! { <span class="tag">"shared"</span> })}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any_at_once()
        })
    };
    view! {
        <div
            class="canned-picker"
            data-testid="canned-picker"
            role="dialog"
            aria-label="Canned messages"
            on:keydown=on_key
        >
            <div class="picker-head">
                <input
                    type="search"
                    class="canned-search"
                    data-testid="canned-search"
                    placeholder="Search title, /shortcut or text"
                    aria-label="Search canned messages"
                    autocomplete="off"
                    node_ref=search_box
                    on:keydown=on_search_key
                    prop:value=move || query.get()
                    on:input=move |ev| {
                        query.set(event_target_value(&ev));
                        highlighted.set(0);
                    }
                />
                <button type="button" class="link" data-testid="canned-close" on:click=move |_| on_close.run(())>
                    "Close"
                </button>
            </div>
            {move || list.error().map(|message| view! { <p class="error">{message}</p> })}
            {options}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use domain::{CannedId, OperatorId};
    use uuid::Uuid;

    use super::*;

    fn message(n: u128, owner: Option<OperatorId>, shortcut: &str, body: &str) -> CannedMessage {
        CannedMessage {
            id: CannedId(Uuid::from_u128(n)),
            owner,
            title: format!("Title {n}"),
            shortcut: shortcut.into(),
            body: body.into(),
        }
    }

    fn vars() -> Variables {
        chat_variables("Ann", "Vera", None)
    }

    #[test]
    fn a_chat_without_a_visitor_leaves_visitor_visible() {
        assert_eq!(
            expand(
                "Hi %visitor%, %name% here. %channel%",
                &chat_variables("Ann", "", None)
            ),
            "Hi %visitor%, Ann here. %channel%"
        );
        assert_eq!(vars().visitor.as_deref(), Some("Vera"));
        assert_eq!(vars().channel, None);
        assert_eq!(
            expand("%channel%", &chat_variables("Ann", "Vera", Some("Sales"))),
            "Sales"
        );
    }

    #[test]
    fn only_a_lone_slash_word_is_a_shortcut_being_typed() {
        for typed in ["/", "/hello", " /hello ", "/thank-you_2", "/Grüße"] {
            assert!(is_typing_shortcut(typed), "{typed:?}");
        }
        for typed in ["", "hello", "/hello world", "see /hello", "/hi!", "//"] {
            assert!(!is_typing_shortcut(typed), "{typed:?}");
        }
    }

    #[test]
    fn inserting_replaces_an_empty_entry_or_a_shortcut_and_appends_otherwise() {
        let cases = [
            ("", "Hi Vera!"),
            ("   \n", "Hi Vera!"),
            ("/", "Hi Vera!"),
            ("/hel", "Hi Vera!"),
            ("Thanks.", "Thanks. Hi Vera!"),
            ("Thanks. ", "Thanks. Hi Vera!"),
            ("Line one\n", "Line one\nHi Vera!"),
            ("about /hel", "about /hel Hi Vera!"),
        ];
        for (entry, expected) in cases {
            assert_eq!(insert_canned(entry, "Hi Vera!"), expected, "{entry:?}");
        }
    }

    #[test]
    fn a_whole_entry_shortcut_expands_with_my_own_first() {
        let me = OperatorId(Uuid::from_u128(7));
        let list = vec![
            message(
                1,
                None,
                "hello",
                "Hello %visitor%! I'm %name%. %unknown% stays.",
            ),
            message(2, None, "bye", "Bye %visitor%"),
            message(3, Some(me), "bye", "See you, %visitor%"),
        ];
        assert_eq!(
            expand_shortcut("/hello", &list, &vars()).as_deref(),
            Some("Hello Vera! I'm Ann. %unknown% stays.")
        );
        assert_eq!(
            expand_shortcut(" /BYE\n", &list, &vars()).as_deref(),
            Some("See you, Vera")
        );
        for entry in ["/hell", "hello", "/hello there", "say /hello", ""] {
            assert_eq!(expand_shortcut(entry, &list, &vars()), None, "{entry:?}");
        }
        assert_eq!(expand_shortcut("/hello", &[], &vars()), None);
    }

    #[test]
    fn arrows_wrap_around_the_options() {
        assert_eq!(step(0, 3, true), 1);
        assert_eq!(step(2, 3, true), 0);
        assert_eq!(step(0, 3, false), 2);
        assert_eq!(step(2, 3, false), 1);
        assert_eq!(step(0, 0, true), 0);
        assert_eq!(step(0, 0, false), 0);
        // A highlight left beyond a shorter list comes back into it.
        assert_eq!(step(5, 2, false), 1);
        assert_eq!(step(5, 2, true), 0);
    }
}
