DROP INDEX memberships_unkeyed;
DROP INDEX memberships_by_role_name;
DROP INDEX memberships_by_name;
CREATE INDEX memberships_group_username ON memberships (group_id, username_key, user_id);
ALTER TABLE memberships DROP COLUMN name_key;
ALTER TABLE memberships DROP COLUMN sort_key;
