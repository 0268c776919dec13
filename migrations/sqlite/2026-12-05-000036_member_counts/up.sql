-- Each group's number of members, kept by the database itself on every
-- insert and delete of a membership (whatever path writes it), so the
-- members page reads one row instead of counting thousands on every view.
ALTER TABLE groups ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;
UPDATE groups SET member_count = (SELECT COUNT(*) FROM memberships m WHERE m.group_id = groups.id);
CREATE TRIGGER memberships_count_in AFTER INSERT ON memberships
BEGIN
    UPDATE groups SET member_count = member_count + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER memberships_count_out AFTER DELETE ON memberships
BEGIN
    UPDATE groups SET member_count = member_count - 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER memberships_count_move AFTER UPDATE OF group_id ON memberships
WHEN OLD.group_id <> NEW.group_id
BEGIN
    UPDATE groups SET member_count = member_count - 1 WHERE id = OLD.group_id;
    UPDATE groups SET member_count = member_count + 1 WHERE id = NEW.group_id;
END;
