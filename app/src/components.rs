//! Pieces shared by several pages.

pub mod badge;
pub mod password_form;
pub mod time;
