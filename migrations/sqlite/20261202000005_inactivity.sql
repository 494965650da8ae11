-- An operator idle past the inactivity timeout is signed off (O17): taken out of their channels,
-- which are kept here so that they can rejoin them when they are back.
ALTER TABLE operators ADD COLUMN signed_off_at INTEGER;
ALTER TABLE operators ADD COLUMN signed_off_channels TEXT NOT NULL DEFAULT '';
