-- Concurrent invitations into one group each updated the same count row
-- (group, 'pending') and held its lock until they committed: W3 on
-- PostgreSQL waited on it. Each connection now adds to one of 16 rows of
-- its own (by its backend's pid), and the Sent invitations page sums them.
ALTER TABLE invitation_counts ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE invitation_counts DROP CONSTRAINT invitation_counts_pkey;
ALTER TABLE invitation_counts ADD PRIMARY KEY (group_id, status, shard);
CREATE OR REPLACE FUNCTION invitations_count() RETURNS trigger AS $$
DECLARE
    s SMALLINT := pg_backend_pid() % 16;
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE'
        AND (OLD.group_id <> NEW.group_id OR OLD.status <> NEW.status)) THEN
        INSERT INTO invitation_counts (group_id, status, shard, n) VALUES (OLD.group_id, OLD.status, s, -1)
        ON CONFLICT (group_id, status, shard) DO UPDATE SET n = invitation_counts.n - 1;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE'
        AND (OLD.group_id <> NEW.group_id OR OLD.status <> NEW.status)) THEN
        INSERT INTO invitation_counts (group_id, status, shard, n) VALUES (NEW.group_id, NEW.status, s, 1)
        ON CONFLICT (group_id, status, shard) DO UPDATE SET n = invitation_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
