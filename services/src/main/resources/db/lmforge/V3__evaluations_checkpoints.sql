-- Evaluation results: one figure per run, stage, task and metric, with the model artifact it measured, so that
-- runs compare task by task (lmforge eval compare, the console's evaluation tables).
CREATE TABLE evaluation_results (
    run_id  text             NOT NULL REFERENCES runs (id),
    stage   text             NOT NULL,
    model   text             NOT NULL REFERENCES artifacts (digest),
    task    text             NOT NULL,
    metric  text             NOT NULL,
    value   double precision NOT NULL,
    n       bigint           NOT NULL,
    stderr  double precision,
    at      timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, stage, task, metric)
);
CREATE INDEX evaluation_results_by_task ON evaluation_results (task, metric);

-- Training checkpoints by the cache key of the stage execution that wrote them: a retried attempt or a resumed
-- run (same key) starts from the newest. Equal checkpoints of two executions are one artifact with two rows.
CREATE TABLE checkpoints (
    cache_key text        NOT NULL,
    step      bigint      NOT NULL,
    role      text        NOT NULL,
    digest    text        NOT NULL REFERENCES artifacts (digest),
    run_id    text        NOT NULL REFERENCES runs (id),
    pruned    boolean     NOT NULL DEFAULT false,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cache_key, step, role)
);
CREATE INDEX checkpoints_by_digest ON checkpoints (digest);
