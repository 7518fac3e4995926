-- Users, teams and their memberships, API tokens and console sessions. Runs are scoped to teams by runs.team.

CREATE TABLE users (
    id                  bigserial PRIMARY KEY,
    name                text        NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    role                text        NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    -- PBKDF2-HMAC-SHA256 of the password with a per-user salt; the iteration count is kept so it can grow.
    password_hash       bytea       NOT NULL,
    password_salt       bytea       NOT NULL,
    password_iterations int         NOT NULL CHECK (password_iterations > 0),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE teams (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The order of a user's memberships (id) decides their default team: the first one.
CREATE TABLE team_members (
    id      bigserial   PRIMARY KEY,
    team    text        NOT NULL REFERENCES teams (name),
    user_id bigint      NOT NULL REFERENCES users (id),
    since   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, team)
);

-- Only the SHA-256 of a token is stored; the token itself is shown once, when it is made.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id),
    name         text        NOT NULL,
    token_hash   text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id, id);

-- A signed-in browser: the SHA-256 of its session cookie, never the cookie itself.
CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX runs_by_team ON runs (team, created_at DESC, id DESC);
