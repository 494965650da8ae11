-- The queue's wait estimate counts recent accepts (domain::queue): an index of just those.
CREATE INDEX events_accepted ON events (at) WHERE kind = 'operator_accepted';
