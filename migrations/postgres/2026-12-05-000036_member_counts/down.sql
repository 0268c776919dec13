DROP TRIGGER memberships_count ON memberships;
DROP FUNCTION memberships_count();
ALTER TABLE groups DROP COLUMN member_count;
