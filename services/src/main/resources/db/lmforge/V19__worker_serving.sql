-- Where a compute worker answers inference requests (issue #17): its HTTP address, the token it accepts (random
-- at each worker start, so it is only as secret as the ledger itself, which the console and every worker already
-- read) and the model digests it holds loaded, so the console sends a request where its model already is.
-- Null on a worker that serves nothing.
ALTER TABLE workers ADD COLUMN serving_address text;
ALTER TABLE workers ADD COLUMN serving_token   text;
ALTER TABLE workers ADD COLUMN serving_models  text[] NOT NULL DEFAULT '{}';
