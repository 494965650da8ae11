-- Where each dashboard change belongs: the chat's channel around it and who was offered the
-- chat (domain::reach::DashboardScope, as JSON), so that a console listing only its channels
-- is handed only their changes. NULL for messages, and for changes recorded before this
-- column existed, which reach every console.
ALTER TABLE events ADD COLUMN dashboard TEXT;
