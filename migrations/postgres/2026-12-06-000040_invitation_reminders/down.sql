DROP INDEX invitations_pending_expiry;
ALTER TABLE invitations DROP COLUMN tell_inviter;
ALTER TABLE invitations DROP COLUMN reminded_points;
ALTER TABLE invitations DROP COLUMN reminded_expiry;
