-- Per-team secrets of the outbox's endpoints: the OpenLineage API key and the MLflow bearer token. Write-only in the
-- API and on the Admin page, never logged, but stored in plain text here: whoever reads this database reads them.
ALTER TABLE team_integrations ADD COLUMN openlineage_api_key text;
ALTER TABLE team_integrations ADD COLUMN mlflow_token text;
