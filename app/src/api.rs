//! The console's server functions. Each authenticates the caller from the session cookie,
//! calls one engine service and answers its result; the engine decides everything.
//!
//! Each takes at most one argument: an id, or one typed input struct (a `domain` type when an
//! engine service takes it, otherwise a `…Input` defined beside the function). Those called
//! from Rust code take JSON; those behind an `ActionForm` take the form encoding, where a
//! struct argument `input` is posted as `input[field]=…`.

#[cfg(feature = "ssr")]
pub mod ssr;

mod admin;
mod auth;
mod calls;
mod canned;
mod channels;
mod chats;
mod console;
mod history;
mod mail;
mod operators;
mod profile;
mod reports;
mod retention;
mod tickets;
mod visitors;
mod webhooks;

pub use admin::*;
pub use auth::*;
pub use calls::*;
pub use canned::*;
pub use channels::*;
pub use chats::*;
pub use console::*;
pub use history::*;
pub use mail::*;
pub use operators::*;
pub use profile::*;
pub use reports::*;
pub use retention::*;
pub use tickets::*;
pub use visitors::*;
pub use webhooks::*;
