-- A group's newest members (its home page shows their initials).
CREATE INDEX memberships_by_join ON memberships (group_id, joined_at, user_id);
