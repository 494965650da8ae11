//! One module per page.

pub mod action_log;
pub mod admin_bubble;
pub mod admin_mail;
pub mod admin_operators;
pub mod admin_settings;
pub mod admin_visitors;
pub mod admin_webhooks;
pub mod canned;
pub mod channels;
pub mod chat_window;
pub mod dashboard;
pub mod history;
pub mod layout;
pub mod lazy;
pub mod login;
pub mod my_chats;
pub mod not_found;
pub mod password;
pub mod profile;
pub mod reports;
pub mod tickets;
pub mod visitors;
