-- Sign-in throttling made atomic: an attempt is counted when it begins, under the row's lock, so parallel
-- attempts cannot all pass the check before any of them is counted. Attempts refused while a key is locked
-- out are counted here instead of audited one row each; only the first refusal of a lock-out is audited.
ALTER TABLE login_throttle ADD COLUMN refused_while_locked int NOT NULL DEFAULT 0;
