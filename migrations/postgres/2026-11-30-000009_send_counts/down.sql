DROP INDEX invitations_group_invitee;
CREATE INDEX invitations_group_sent ON invitations (group_id, sent_at);
DROP TABLE invitation_send_counts;
