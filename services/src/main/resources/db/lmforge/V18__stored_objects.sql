-- Every object a stage writes to the artifact store, as it writes it: the content-addressed key's digest, the kind
-- it was written as, the run and stage row that wrote it, its size and when. The artifacts table records what
-- people and later stages read (with metadata) and lineage which stage consumed or produced it under a name; the
-- intermediates of a stage (band, pair and removal files, filtered shards) are in neither, and without a record
-- of who wrote them a garbage collector could only guess. Equal bytes written by two stages are one object with
-- two rows here.
--
-- run_id is the run as its writer named it, without a foreign key: a corpus snapshot is taken before its stage row
-- exists, and a tool may store bytes for a run id it was given. stage_id is null where no stage row is known yet
-- (snapshots of a stage's inputs, which lineage then records as consumed).
CREATE TABLE stored_objects (
    digest     text        NOT NULL,
    kind       text        NOT NULL,
    run_id     text,
    stage      text,
    stage_id   bigint REFERENCES stages (id),
    size_bytes bigint      NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- One row per object, writer and kind: a retried step that writes the same bytes again adds nothing.
CREATE UNIQUE INDEX stored_objects_once ON stored_objects
    (digest, kind, coalesce(run_id, ''), coalesce(stage, ''), coalesce(stage_id, 0));
CREATE INDEX stored_objects_by_run ON stored_objects (run_id, stage_id);
CREATE INDEX stored_objects_by_created ON stored_objects (created_at);
