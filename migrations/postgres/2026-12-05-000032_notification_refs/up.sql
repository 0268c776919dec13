-- What a notification is about (the invitation it announces), so answering
-- the invitation marks it read.
ALTER TABLE notifications ADD COLUMN ref_id BIGINT;
CREATE INDEX notifications_ref ON notifications (user_id, kind, ref_id);
