-- "Is this person already invited to this group?" now names 'pending' in its
-- text and is answered by the partial unique index invitations_one_pending:
-- the plain (group_id, invitee_email_key) index only served the bound form,
-- and every invitation sent paid for keeping it.
DROP INDEX invitations_group_invitee;
