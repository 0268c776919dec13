-- Groups, roles, memberships and join requests. Invitations build on these.

CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    -- Lower-cased name: the directory sorts and searches on it with an index.
    name_key TEXT NOT NULL,
    slug TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    join_method TEXT NOT NULL,
    audience TEXT NOT NULL,
    parent_id BIGINT REFERENCES groups (id) ON DELETE SET NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX groups_slug ON groups (slug);
CREATE INDEX groups_name_key ON groups (name_key, id);
CREATE INDEX groups_parent_id ON groups (parent_id);
CREATE INDEX groups_created_by ON groups (created_by);

-- A role is a named set of permissions. group_id NULL = built in (shared by
-- every group). Uniqueness of names goes through name_key
-- ('builtin:<lower name>' or '<group_id>:<lower name>') because a unique
-- index on (group_id, name) treats NULLs as distinct on both backends, so it
-- would not stop two built-in roles of the same name.
CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    -- Comma-separated permission names, e.g. 'view_members,post_messages'.
    permissions TEXT NOT NULL,
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX roles_name_key ON roles (name_key);
CREATE INDEX roles_group_id ON roles (group_id);

INSERT INTO roles (group_id, name, name_key, permissions, builtin, created_at) VALUES
    (NULL, 'GroupAdmin', 'builtin:groupadmin',
     'manage_member,manage_group,view_members,post_messages,view_cases', TRUE, '2026-11-22 00:00:00'),
    (NULL, 'GroupMember', 'builtin:groupmember',
     'view_members,post_messages', TRUE, '2026-11-22 00:00:00');

CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles (id),
    -- Copy of users.username_key (users.email_key when there is no
    -- username): the members page pages on (group_id, username_key, user_id)
    -- in one index, at a cost that does not grow with the page number.
    username_key TEXT NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    invited_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
-- Also serves the foreign key group_id.
CREATE UNIQUE INDEX memberships_group_user ON memberships (group_id, user_id);
CREATE INDEX memberships_group_username ON memberships (group_id, username_key, user_id);
-- Also serves the foreign key user_id ("my groups").
CREATE INDEX memberships_user_group ON memberships (user_id, group_id);
CREATE INDEX memberships_role_id ON memberships (role_id);
CREATE INDEX memberships_invited_by ON memberships (invited_by);

-- One row per (group, user): a new request after a refusal re-opens the row,
-- so there is never more than one pending request per person and group.
CREATE TABLE join_requests (
    id INTEGER PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at TIMESTAMP
);
CREATE UNIQUE INDEX join_requests_group_user ON join_requests (group_id, user_id);
CREATE INDEX join_requests_group_status ON join_requests (group_id, status, created_at);
CREATE INDEX join_requests_user_id ON join_requests (user_id);
CREATE INDEX join_requests_decided_by ON join_requests (decided_by);
