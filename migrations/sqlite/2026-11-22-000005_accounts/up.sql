-- Company accounts, super users, the audit trail and support cases.

CREATE TABLE company_accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- Lower-cased name: two accounts cannot differ only by case.
    name_key TEXT NOT NULL,
    -- 'client', 'partner' or 'internal' (domain::AccountKind).
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX company_accounts_name_key ON company_accounts (name_key);

-- A user belongs to at most one account. Deactivation keeps the link (so a
-- super user can turn the login on again); "a member of an account" means
-- linked AND active.
ALTER TABLE users ADD COLUMN account_id BIGINT REFERENCES company_accounts (id) ON DELETE SET NULL;
ALTER TABLE users ADD COLUMN is_super_user BOOLEAN NOT NULL DEFAULT FALSE;
-- Manage Users pages an account's people by e-mail key (unique, never NULL,
-- unlike username_key for contacts); also serves the foreign key.
CREATE INDEX users_account_email ON users (account_id, email_key);

-- A client support group belongs to one client account (NULL: no account).
ALTER TABLE groups ADD COLUMN account_id BIGINT REFERENCES company_accounts (id) ON DELETE SET NULL;
CREATE INDEX groups_account_id ON groups (account_id);

-- Who did what to whom: account, super user, Active Login, membership and
-- role changes. Ids grow with time: pages are keyset on id.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    actor_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    account_id BIGINT REFERENCES company_accounts (id) ON DELETE SET NULL,
    group_id BIGINT REFERENCES groups (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_account ON audit_events (account_id, id);
CREATE INDEX audit_events_subject ON audit_events (subject_user_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_group_id ON audit_events (group_id);

CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES company_accounts (id) ON DELETE CASCADE,
    raised_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- 'open' for now; closing cases is a later issue.
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- A super user's list (the account's, newest first) and a user's own.
CREATE INDEX cases_account ON cases (account_id, id);
CREATE INDEX cases_raised_by ON cases (raised_by, account_id, id);

CREATE TABLE case_comments (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX case_comments_case ON case_comments (case_id, id);
CREATE INDEX case_comments_author_id ON case_comments (author_id);
