DROP TRIGGER invitations_count_in;
DROP TRIGGER invitations_count_out;
DROP TRIGGER invitations_count_move;
DROP TABLE invitation_counts;
CREATE TABLE invitation_counts (
    group_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (group_id, status)
);
INSERT INTO invitation_counts (group_id, status, n)
    SELECT group_id, status, COUNT(*) FROM invitations WHERE true GROUP BY group_id, status;
CREATE TRIGGER invitations_count_in AFTER INSERT ON invitations
BEGIN
    INSERT INTO invitation_counts (group_id, status, n) VALUES (NEW.group_id, NEW.status, 1)
    ON CONFLICT (group_id, status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER invitations_count_out AFTER DELETE ON invitations
BEGIN
    UPDATE invitation_counts SET n = n - 1 WHERE group_id = OLD.group_id AND status = OLD.status;
END;
CREATE TRIGGER invitations_count_move AFTER UPDATE OF group_id, status ON invitations
WHEN OLD.group_id <> NEW.group_id OR OLD.status <> NEW.status
BEGIN
    UPDATE invitation_counts SET n = n - 1 WHERE group_id = OLD.group_id AND status = OLD.status;
    INSERT INTO invitation_counts (group_id, status, n) VALUES (NEW.group_id, NEW.status, 1)
    ON CONFLICT (group_id, status) DO UPDATE SET n = n + 1;
END;
