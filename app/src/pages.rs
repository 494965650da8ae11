//! The console's pages, in one table: the server's gate (which paths need a login), the
//! sidebar (each page's link, label and badge) and the role a page needs all read it, and a
//! test holds the router's routes to it.

use domain::console::Role;

/// The count a page's link carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NavBadge {
    /// None.
    None,
    /// Chats waiting.
    Waiting,
    /// Unread messages in my chats.
    Unread,
    /// Visitors on the site.
    Visitors,
}

/// One console page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsolePage {
    /// Its path.
    pub path: &'static str,
    /// Its link's text in the sidebar.
    pub label: &'static str,
    /// Its link's test id.
    pub testid: &'static str,
    /// The least role that may use it; the link shows only from this role up, and the page
    /// explains itself to anyone below.
    pub role: Role,
    /// What its link counts.
    pub badge: NavBadge,
}

const fn page(
    path: &'static str,
    label: &'static str,
    testid: &'static str,
    role: Role,
) -> ConsolePage {
    ConsolePage {
        path,
        label,
        testid,
        role,
        badge: NavBadge::None,
    }
}

/// Every console page behind the login, in sidebar order.
pub const PAGES: [ConsolePage; 16] = [
    ConsolePage {
        badge: NavBadge::Waiting,
        ..page("/", "Dashboard", "nav-dashboard", Role::Operator)
    },
    ConsolePage {
        badge: NavBadge::Unread,
        ..page("/chats", "My Chats", "nav-my-chats", Role::Operator)
    },
    ConsolePage {
        badge: NavBadge::Visitors,
        ..page("/visitors", "Visitors", "nav-visitors", Role::Operator)
    },
    page("/tickets", "Tickets", "nav-tickets", Role::Operator),
    page("/history", "History", "nav-history", Role::Operator),
    page("/canned", "Canned messages", "nav-canned", Role::Operator),
    page("/channels", "Channels", "nav-channels", Role::Operator),
    page("/profile", "My profile", "nav-profile", Role::Operator),
    page(
        "/admin/operators",
        "Operators",
        "nav-operators",
        Role::Admin,
    ),
    page("/admin/bubble", "Chat bubble", "nav-bubble", Role::Admin),
    page("/admin/settings", "Settings", "nav-settings", Role::Admin),
    page("/admin/webhooks", "Webhooks", "nav-webhooks", Role::Admin),
    page("/admin/mail", "Email", "nav-mail", Role::Admin),
    page(
        "/admin/visitors",
        "Visitor data",
        "nav-visitor-data",
        Role::Admin,
    ),
    page("/reports", "Reports", "nav-reports", Role::Supervisor),
    page("/admin/log", "Action log", "nav-log", Role::Supervisor),
];

/// The page at a path, if it is one.
pub fn find(path: &str) -> Option<&'static ConsolePage> {
    PAGES.iter().find(|page| page.path == path)
}

/// Whether someone of `role` may use the page at `path` (paths that are no page: no).
pub fn allows(role: Role, path: &str) -> bool {
    find(path).is_some_and(|page| role >= page.role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_test_ids_are_unique_and_roles_gate_the_admin_pages() {
        let mut paths: Vec<&str> = PAGES.iter().map(|p| p.path).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), PAGES.len());
        let mut ids: Vec<&str> = PAGES.iter().map(|p| p.testid).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), PAGES.len());
        assert!(allows(Role::Operator, "/chats"));
        assert!(!allows(Role::Operator, "/admin/log"));
        assert!(allows(Role::Supervisor, "/admin/log"));
        assert!(!allows(Role::Supervisor, "/admin/webhooks"));
        assert!(allows(Role::Admin, "/admin/webhooks"));
        assert!(!allows(Role::Admin, "/nowhere"));
    }
}
