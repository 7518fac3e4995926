-- Compute workers as they report themselves every few seconds: their Temporal identity, host, queues and slots.
-- A worker that stopped reporting is gone (the console shows those seen lately); the rows are never needed for
-- lineage, so an old one is simply overwritten when the identity comes back.
CREATE TABLE workers (
    identity   text PRIMARY KEY,
    host       text        NOT NULL,
    queues     text[]      NOT NULL,
    slots      int         NOT NULL,
    started_at timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workers_by_last_seen ON workers (last_seen DESC);
