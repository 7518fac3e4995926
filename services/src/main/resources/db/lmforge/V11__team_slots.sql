-- The task queue on which a running stage holds one of its team's slots (lmforge.limits.team-stages-per-queue);
-- null while it waits for one, and for stages recorded before slots existed.
ALTER TABLE stages ADD COLUMN slot_queue text;
CREATE INDEX stages_holding_slots ON stages (slot_queue) WHERE status = 'RUNNING' AND slot_queue IS NOT NULL;
