-- The outbox: events for the lineage catalog (OpenLineage) and the experiment tracker (MLflow), queued beside the
-- ledger change that causes them and delivered by a background deliverer, so that an endpoint that is down or
-- refuses never blocks or fails a stage. One row per idempotent key; delivered in id order per run and sink.
CREATE TABLE outbox_events (
    id              bigserial PRIMARY KEY,
    run_id          text        NOT NULL REFERENCES runs (id),
    sink            text        NOT NULL CHECK (sink IN ('openlineage', 'mlflow')),
    endpoint        text        NOT NULL,
    idempotency_key text        NOT NULL UNIQUE,
    kind            text        NOT NULL,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        int         NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    last_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz
);
CREATE INDEX outbox_pending ON outbox_events (run_id, sink, id) WHERE status = 'pending';
CREATE INDEX outbox_by_run ON outbox_events (run_id, id);
