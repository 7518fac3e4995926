-- Source roots an admin grants one team on top of the configured ones (lmforge.source-roots): folders and
-- s3://bucket/prefix entries its specs may read. Checked by the control plane and again by the compute worker.
CREATE TABLE team_source_roots (
    team     text NOT NULL REFERENCES teams (name) ON DELETE CASCADE,
    position int  NOT NULL,
    root     text NOT NULL CHECK (length(root) BETWEEN 1 AND 1024),
    PRIMARY KEY (team, position),
    UNIQUE (team, root)
);
