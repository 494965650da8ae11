//! A form's last failure as the server told it: the field at fault (shown next to that field)
//! or none (shown under the form). Shared by the console's admin forms.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::error::ConsoleError;

/// The last failure of one form.
#[derive(Clone, Copy, Debug)]
pub struct Failure {
    /// Test ids read `<prefix>-error-<field>` and `<prefix>-error`.
    prefix: &'static str,
    /// The fields shown next to their input; a failure naming another goes under the form.
    fields: &'static [&'static str],
    last: RwSignal<Option<(Option<String>, String)>>,
}

impl Failure {
    /// No failure yet.
    pub fn new(prefix: &'static str, fields: &'static [&'static str]) -> Self {
        Self {
            prefix,
            fields,
            last: RwSignal::new(None),
        }
    }

    /// Remembers a failure.
    fn set(self, err: ConsoleError) {
        self.last.set(Some((err.0.field, err.0.message)));
    }

    /// Forgets it (the form was saved).
    fn clear(self) {
        self.last.set(None);
    }

    /// Runs a form's save once at a time: `busy` while it is under way; then the saved value
    /// goes to `saved`, or the failure is kept for the form to show.
    pub fn submit<T: 'static>(
        self,
        busy: RwSignal<bool>,
        request: impl Future<Output = Result<T, ConsoleError>> + 'static,
        saved: impl FnOnce(T) + 'static,
    ) {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            if let Some(value) = self.take(request.await) {
                saved(value);
            }
            busy.try_set(false);
        });
    }

    /// Takes a save's answer: on success the failure is forgotten and the value handed on;
    /// otherwise the failure is kept for the form to show.
    fn take<T>(self, answer: Result<T, ConsoleError>) -> Option<T> {
        match answer {
            Ok(value) => {
                self.clear();
                Some(value)
            }
            Err(err) => {
                self.set(err);
                None
            }
        }
    }

    /// The message if it names `field` (`None`: a failure naming none of the form's fields).
    pub fn at(self, field: Option<&str>) -> Option<String> {
        self.last.with(|last| {
            let (at, message) = last.as_ref()?;
            let at = at.as_deref().filter(|at| self.fields.contains(at));
            (at == field).then(|| message.clone())
        })
    }

    /// The message shown next to `field`.
    pub fn field(self, field: &'static str) -> impl IntoView {
        let testid = format!("{}-error-{field}", self.prefix);
        move || {
            self.at(Some(field)).map(|message| {
                view! {
                    <p class="error field-error" role="alert" data-testid=testid.clone()>
                        {message}
                    </p>
                }
            })
        }
    }

    /// The message shown under the form.
    pub fn general(self) -> impl IntoView {
        let testid = format!("{}-error", self.prefix);
        move || {
            self.at(None).map(|message| {
                view! { <p class="error" role="alert" data-testid=testid.clone()>{message}</p> }
            })
        }
    }
}
