DROP INDEX invitations_batch_id;
ALTER TABLE invitations DROP COLUMN batch_id;
