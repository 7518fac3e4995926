-- The runs page searches by a prefix of the name (LIKE 'prefix%'); text_pattern_ops lets a B-tree serve that in
-- any collation, and created_at orders the matches newest first as the page shows them.
CREATE INDEX runs_by_name ON runs (name text_pattern_ops, created_at DESC);
