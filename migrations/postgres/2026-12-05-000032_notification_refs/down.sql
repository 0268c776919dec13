DROP INDEX notifications_ref;
ALTER TABLE notifications DROP COLUMN ref_id;
