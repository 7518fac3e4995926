-- Per-team endpoints for the outbox, set by an admin; a null column falls back to the process-wide setting
-- (LMFORGE_OPENLINEAGE_URL, LMFORGE_MLFLOW_TRACKING_URI, ...), and disabled turns both off for the team.
CREATE TABLE team_integrations (
    team                  text PRIMARY KEY,
    openlineage_url       text,
    openlineage_namespace text,
    mlflow_tracking_uri   text,
    mlflow_experiment_by  text CHECK (mlflow_experiment_by IN ('team', 'spec')),
    disabled              boolean     NOT NULL DEFAULT false,
    updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Which MLflow run mirrors which lmforge run or stage row, so that a redelivered creation finds the run it made.
CREATE TABLE mlflow_runs (
    lmforge_key   text        NOT NULL,
    tracking_uri  text        NOT NULL,
    experiment_id text        NOT NULL,
    mlflow_run_id text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (lmforge_key, tracking_uri)
);
