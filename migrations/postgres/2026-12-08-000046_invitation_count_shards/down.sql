-- One row per group and status again, with the shards' sums.
CREATE TEMPORARY TABLE invitation_counts_summed AS
    SELECT group_id, status, SUM(n)::BIGINT AS n FROM invitation_counts GROUP BY group_id, status;
DELETE FROM invitation_counts;
ALTER TABLE invitation_counts DROP CONSTRAINT invitation_counts_pkey;
ALTER TABLE invitation_counts DROP COLUMN shard;
ALTER TABLE invitation_counts ADD PRIMARY KEY (group_id, status);
INSERT INTO invitation_counts (group_id, status, n) SELECT group_id, status, n FROM invitation_counts_summed;
DROP TABLE invitation_counts_summed;
CREATE OR REPLACE FUNCTION invitations_count() RETURNS trigger AS $$
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
