-- The log of each stage attempt as its compute worker captured it: the first 64 KiB and the last 192 KiB of its
-- lines, secrets redacted, with how many bytes between them were dropped. The worker rewrites the row every few
-- seconds while the attempt runs and marks it complete when the attempt ends.
CREATE TABLE stage_attempt_logs (
    stage_id      bigint      NOT NULL REFERENCES stages (id),
    attempt       int         NOT NULL,
    text          text        NOT NULL,
    bytes_dropped bigint      NOT NULL DEFAULT 0,
    complete      boolean     NOT NULL DEFAULT false,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stage_id, attempt)
);
