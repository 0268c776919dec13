-- The members page lists people by name in natural order ("User 2" before
-- "User 10", case ignored) and searches their names. Both keys are copies
-- of the user's name (domain::names::sort_key and name_key), written by
-- every path that adds a membership or renames a user. COLLATE "C": keys
-- compare byte by byte, as on SQLite and in the merge of inherited members.
ALTER TABLE memberships ADD COLUMN sort_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Pages by name, and by name within one role (the role filter), each an
-- index range whatever the page; the username order is no longer used.
DROP INDEX memberships_group_username;
CREATE INDEX memberships_by_name ON memberships (group_id, sort_key, user_id);
CREATE INDEX memberships_by_role_name ON memberships (group_id, role_id, sort_key, user_id);
-- The natural key is not SQL: db::migrations fills in the rows found here
-- in Rust, and this index (empty afterwards) finds what is left to do.
CREATE INDEX memberships_unkeyed ON memberships (id) WHERE sort_key = '';
