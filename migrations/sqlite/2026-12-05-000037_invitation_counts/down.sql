DROP INDEX invitations_group_expiry;
DROP TRIGGER invitations_count_move;
DROP TRIGGER invitations_count_out;
DROP TRIGGER invitations_count_in;
DROP TABLE invitation_counts;
