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
