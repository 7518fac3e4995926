-- The ledger: runs, stage executions and their attempts, artifacts, lineage, metrics, audit.

CREATE TABLE runs (
    id              text PRIMARY KEY,
    name            text        NOT NULL,
    team            text,
    owner           text        NOT NULL,
    spec            jsonb       NOT NULL,
    spec_source     text        NOT NULL,
    status          text        NOT NULL,
    error           text,
    workflow_id     text,
    temporal_run_id text,
    resumed_from    text REFERENCES runs (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    ended_at        timestamptz
);
CREATE INDEX runs_by_created ON runs (created_at DESC, id DESC);
CREATE INDEX runs_by_status ON runs (status, created_at DESC, id DESC);

CREATE TABLE artifacts (
    digest     text PRIMARY KEY,
    kind       text        NOT NULL,
    size_bytes bigint      NOT NULL,
    metadata   jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stages (
    id           bigserial PRIMARY KEY,
    run_id       text        NOT NULL REFERENCES runs (id),
    stage        text        NOT NULL,
    status       text        NOT NULL,
    cache_key    text        NOT NULL,
    code_version int         NOT NULL,
    config       jsonb,
    summary      jsonb,
    reused_from  bigint REFERENCES stages (id),
    error        text,
    started_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX stages_by_run ON stages (run_id, id);
CREATE INDEX stages_by_cache_key ON stages (cache_key, id) WHERE status = 'SUCCEEDED';

-- One row per activity attempt, written by the compute worker that ran it.
CREATE TABLE stage_attempts (
    stage_id                bigint      NOT NULL REFERENCES stages (id),
    attempt                 int         NOT NULL,
    worker                  text        NOT NULL,
    status                  text        NOT NULL,
    resumed_from_checkpoint text,
    error                   text,
    started_at              timestamptz NOT NULL DEFAULT now(),
    ended_at                timestamptz,
    PRIMARY KEY (stage_id, attempt)
);

-- A stage consumed or produced an artifact under a name; reused = the edge was copied from a cached stage.
CREATE TABLE lineage (
    stage_id  bigint  NOT NULL REFERENCES stages (id),
    direction text    NOT NULL CHECK (direction IN ('consumed', 'produced')),
    name      text    NOT NULL,
    artifact  text    NOT NULL REFERENCES artifacts (digest),
    reused    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (stage_id, direction, name)
);
CREATE INDEX lineage_by_artifact ON lineage (artifact, direction);

CREATE TABLE metrics (
    run_id text             NOT NULL REFERENCES runs (id),
    stage  text             NOT NULL,
    name   text             NOT NULL,
    step   bigint           NOT NULL,
    value  double precision NOT NULL,
    at     timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX metrics_by_series ON metrics (run_id, stage, name, step);

-- Append-only; each row carries the hash of the one before it, so an edit anywhere breaks the chain.
CREATE TABLE audit_events (
    id        bigserial PRIMARY KEY,
    at_micros bigint NOT NULL,
    actor     text   NOT NULL,
    action    text   NOT NULL,
    target    text   NOT NULL,
    details   text   NOT NULL,
    prev_hash text   NOT NULL,
    hash      text   NOT NULL
);
CREATE INDEX audit_by_target ON audit_events (target, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS
$$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_change
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
