DROP TRIGGER memberships_count_move;
DROP TRIGGER memberships_count_out;
DROP TRIGGER memberships_count_in;
ALTER TABLE groups DROP COLUMN member_count;
