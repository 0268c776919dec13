-- Each group's number of members, kept by the database itself on every
-- insert and delete of a membership (whatever path writes it), so the
-- members page reads one row instead of counting thousands on every view.
ALTER TABLE groups ADD COLUMN member_count BIGINT NOT NULL DEFAULT 0;
UPDATE groups SET member_count = (SELECT COUNT(*) FROM memberships m WHERE m.group_id = groups.id);
CREATE FUNCTION memberships_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND OLD.group_id <> NEW.group_id) THEN
        UPDATE groups SET member_count = member_count + 1 WHERE id = NEW.group_id;
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.group_id <> NEW.group_id) THEN
        UPDATE groups SET member_count = member_count - 1 WHERE id = OLD.group_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER memberships_count AFTER INSERT OR DELETE OR UPDATE OF group_id ON memberships
FOR EACH ROW EXECUTE FUNCTION memberships_count();
