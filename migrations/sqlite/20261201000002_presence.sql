-- Who is online, in the database so that every node sees the same: each node counts the
-- consoles an operator has open on it and keeps its rows fresh; a node that stops refreshing
-- (it died) drops out after a short while. When an operator last did something is kept on
-- the operator, for away and gone.
CREATE TABLE consoles (
    operator_id TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    node        TEXT NOT NULL,
    open        INTEGER NOT NULL,
    seen_at     INTEGER NOT NULL,
    PRIMARY KEY (operator_id, node)
);
CREATE INDEX consoles_by_node ON consoles (node);

ALTER TABLE operators ADD COLUMN active_at INTEGER NOT NULL DEFAULT 0;
