-- Each group's invitations by stored status, kept by the database itself on
-- every insert, status change and delete (whatever path writes them), so
-- the Sent invitations page reads at most five rows instead of counting
-- every invitation of the group on every view.
CREATE TABLE invitation_counts (
    group_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (group_id, status)
);
INSERT INTO invitation_counts (group_id, status, n)
    SELECT group_id, status, COUNT(*) FROM invitations GROUP BY group_id, status;
CREATE FUNCTION invitations_count() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE'
        AND (OLD.group_id <> NEW.group_id OR OLD.status <> NEW.status)) THEN
        UPDATE invitation_counts SET n = n - 1
        WHERE group_id = OLD.group_id AND status = OLD.status;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
        AND (OLD.group_id <> NEW.group_id OR OLD.status <> NEW.status)) THEN
        INSERT INTO invitation_counts (group_id, status, n) VALUES (NEW.group_id, NEW.status, 1)
        ON CONFLICT (group_id, status) DO UPDATE SET n = invitation_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER invitations_count AFTER INSERT OR DELETE OR UPDATE OF group_id, status ON invitations
FOR EACH ROW EXECUTE FUNCTION invitations_count();
-- Pending invitations past their date count as expired before anything
-- marks them so: counted from this index's range, not from the rows.
CREATE INDEX invitations_group_expiry ON invitations (group_id, status, expires_at);
