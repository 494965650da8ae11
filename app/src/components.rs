//! Pieces shared by several pages.

pub mod alert_popups;
pub mod at_once;
pub mod badge;
pub mod canned_picker;
pub mod channel_move;
pub mod chat_panel;
pub mod chat_sidebar;
pub mod connection_banner;
pub mod desktop_notifications;
pub mod dock;
pub mod downloads;
pub mod entry_bar;
pub mod event_line;
pub mod form_failure;
pub mod loaded_console;
pub mod notice;
pub mod on_demand;
pub mod online_operators;
pub mod operator_picker;
pub mod password_form;
pub mod text_field;
pub mod ticket_form;
pub mod time;
pub mod visitor_tree;
