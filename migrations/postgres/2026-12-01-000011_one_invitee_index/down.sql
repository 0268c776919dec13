CREATE INDEX invitations_group_invitee ON invitations (group_id, invitee_email_key);
