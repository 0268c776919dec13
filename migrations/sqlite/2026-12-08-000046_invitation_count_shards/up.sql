-- The same table as on PostgreSQL, where each connection adds to one of 16
-- rows of its own so concurrent invitations into one group do not wait on
-- one row's lock. SQLite's single writer never waits so: shard 0 only.
DROP TRIGGER invitations_count_in;
DROP TRIGGER invitations_count_out;
DROP TRIGGER invitations_count_move;
DROP TABLE invitation_counts;
CREATE TABLE invitation_counts (
    group_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    shard INTEGER NOT NULL DEFAULT 0,
    n BIGINT NOT NULL,
    PRIMARY KEY (group_id, status, shard)
);
INSERT INTO invitation_counts (group_id, status, shard, n)
    SELECT group_id, status, 0, COUNT(*) FROM invitations WHERE true GROUP BY group_id, status;
CREATE TRIGGER invitations_count_in AFTER INSERT ON invitations
BEGIN
    INSERT INTO invitation_counts (group_id, status, shard, n) VALUES (NEW.group_id, NEW.status, 0, 1)
    ON CONFLICT (group_id, status, shard) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER invitations_count_out AFTER DELETE ON invitations
BEGIN
    UPDATE invitation_counts SET n = n - 1
    WHERE group_id = OLD.group_id AND status = OLD.status AND shard = 0;
END;
CREATE TRIGGER invitations_count_move AFTER UPDATE OF group_id, status ON invitations
WHEN OLD.group_id <> NEW.group_id OR OLD.status <> NEW.status
BEGIN
    UPDATE invitation_counts SET n = n - 1
    WHERE group_id = OLD.group_id AND status = OLD.status AND shard = 0;
    INSERT INTO invitation_counts (group_id, status, shard, n) VALUES (NEW.group_id, NEW.status, 0, 1)
    ON CONFLICT (group_id, status, shard) DO UPDATE SET n = n + 1;
END;
