-- The runs list shows each run's planned stages; kept as a column at submission so that listing runs never reads
-- (or sends) the specs, which can be hundreds of kilobytes each.
ALTER TABLE runs ADD COLUMN planned_stages text[];

-- Existing runs: the stages their spec names, in lifecycle order; a spec that names none runs every stage.
UPDATE runs SET planned_stages = ARRAY(
    SELECT s FROM unnest(ARRAY['data', 'tokenizer', 'plan', 'pretrain', 'evaluate-base', 'align', 'evaluate-chat'])
        WITH ORDINALITY AS lifecycle(s, position)
    WHERE jsonb_typeof(spec -> 'stages') IS DISTINCT FROM 'array' OR spec -> 'stages' ? s
    ORDER BY position);

ALTER TABLE runs ALTER COLUMN planned_stages SET NOT NULL;
