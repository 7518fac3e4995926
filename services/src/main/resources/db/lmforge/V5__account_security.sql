-- Account security: users an admin has disabled, and the failed sign-ins that slow down password guessing.

-- A disabled user cannot sign in, and their sessions and API tokens are refused until an admin enables them.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- Failed sign-ins per user name tried ('user:NAME', whether or not such a user exists, so that a lock-out never
-- tells) and per client address ('client:ADDRESS'). They live here, not in a process, so that every console
-- process counts alike and a restart forgets nothing.
CREATE TABLE login_throttle (
    key             text        PRIMARY KEY,
    -- failures in the window that began at window_start (null: no window open)
    failures        int         NOT NULL DEFAULT 0,
    window_start    timestamptz,
    last_failure_at timestamptz,
    -- lock-outs in a row; each lasts twice as long as the one before, up to a cap
    lockouts        int         NOT NULL DEFAULT 0,
    locked_until    timestamptz
);
