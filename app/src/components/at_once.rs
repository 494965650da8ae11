//! Hydrating a part of a page in one go.
//!
//! Because some pages are loaded apart from the bundle, the browser hydrates the console
//! asynchronously: the router waits for a page's piece to arrive before it hydrates the page.
//! Leptos then builds an asynchronous hydration for every element of every view on the way,
//! a state machine per element, though only the path from the root to the router's outlet
//! ever waits. That code is a large share of the bundle. A view wrapped in [`AtOnce`] is
//! hydrated synchronously even inside an asynchronous hydration, so only its synchronous
//! hydration is built. Wrap whole parts that hold no route outlet and no lazily loaded route:
//! the console's frame around the outlet, and each page.

use leptos::prelude::*;
use leptos::tachys::html::attribute::Attribute;
use leptos::tachys::html::attribute::any_attribute::AnyAttribute;
use leptos::tachys::hydration::Cursor;
use leptos::tachys::ssr::StreamBuilder;
use leptos::tachys::view::add_attr::AddAnyAttr;
use leptos::tachys::view::{Position, PositionState, Render, RenderHtml};

/// A view hydrated synchronously wherever it is, rendered and built as the view itself.
#[derive(Debug)]
pub struct AtOnce<V>(pub V);

/// `view`, hydrated in one go (see the module's documentation).
pub fn at_once<V: IntoView>(view: V) -> AtOnce<V> {
    AtOnce(view)
}

impl<V: Render> Render for AtOnce<V> {
    type State = V::State;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state);
    }
}

impl<V: RenderHtml> AddAnyAttr for AtOnce<V> {
    type Output<SomeNewAttr: Attribute> = AtOnce<V::Output<SomeNewAttr>>;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        AtOnce(self.0.add_any_attr(attr))
    }
}

impl<V: RenderHtml> RenderHtml for AtOnce<V> {
    type AsyncOutput = AtOnce<V::AsyncOutput>;
    type Owned = AtOnce<V::Owned>;

    const MIN_LENGTH: usize = V::MIN_LENGTH;
    const EXISTS: bool = V::EXISTS;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve();
    }

    async fn resolve(self) -> Self::AsyncOutput {
        AtOnce(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) where
        Self: Sized,
    {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        );
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        self.0.hydrate::<true>(cursor, position)
    }

    fn into_owned(self) -> Self::Owned {
        AtOnce(self.0.into_owned())
    }
}

/// [`IntoAny::into_any`] for a view inside a part hydrated at once. A type-erased view keeps
/// a way to hydrate it asynchronously whether or not it is ever used; erased here, that way is
/// the synchronous one, so the asynchronous code for the view is never built.
pub trait IntoAnyAtOnce: IntoView + Sized {
    /// The view, type-erased, hydrated in one go.
    fn into_any_at_once(self) -> AnyView {
        AtOnce(self).into_any()
    }
}

impl<V: IntoView + 'static> IntoAnyAtOnce for V {}
