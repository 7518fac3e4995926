-- Garbage collection. Deleting an object's bytes keeps its records and marks them: lineage still points at the
-- artifact row, and a download of it answers that it was collected (410) instead of failing in the store.
ALTER TABLE artifacts ADD COLUMN deleted_at timestamptz;
ALTER TABLE stored_objects ADD COLUMN deleted_at timestamptz;

-- How many of a team's runs the collector keeps: the newest keep_runs and/or those younger than keep_days (a run
-- is kept when either says so; a null is no limit of that sort). No row, or both null: every run is kept. Whatever
-- a kept run's lineage reaches is kept regardless.
CREATE TABLE team_retention (
    team       text PRIMARY KEY REFERENCES teams (name) ON DELETE CASCADE,
    keep_runs  int CHECK (keep_runs BETWEEN 1 AND 1000000),
    keep_days  int CHECK (keep_days BETWEEN 1 AND 36500),
    updated_at timestamptz NOT NULL DEFAULT now()
);
