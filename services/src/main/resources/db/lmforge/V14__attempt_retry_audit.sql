-- Whether the control plane has audited this attempt as a retry (stage.retried). Compute workers record attempts
-- but hold no audit key, so the control plane audits each new attempt beyond the first as soon as it sees it.
-- Attempts of stages that already ended were audited at the stage's end, as lmforge did before this column.
ALTER TABLE stage_attempts ADD COLUMN retry_audited boolean NOT NULL DEFAULT false;
UPDATE stage_attempts a SET retry_audited = true
  FROM stages s WHERE s.id = a.stage_id AND (a.attempt = 1 OR s.ended_at IS NOT NULL);
CREATE INDEX stage_attempts_retry_unaudited ON stage_attempts (stage_id, attempt) WHERE NOT retry_audited;
