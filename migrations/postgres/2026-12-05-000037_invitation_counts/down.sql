DROP INDEX invitations_group_expiry;
DROP TRIGGER invitations_count ON invitations;
DROP FUNCTION invitations_count();
DROP TABLE invitation_counts;
