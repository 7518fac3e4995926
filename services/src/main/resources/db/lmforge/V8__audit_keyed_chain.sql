-- The audit chain becomes keyed: each new row's hash is an HMAC-SHA256 under a key the database never holds,
-- so whoever can write the table cannot recompute a valid chain. Rows written before this migration keep
-- their plain SHA-256 hashes (keyed = false); verification accepts them only as the prefix of the chain.
ALTER TABLE audit_events ADD COLUMN keyed boolean NOT NULL DEFAULT false;

-- The row-level trigger of V1 does not see TRUNCATE, which empties the table without touching a row.
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
