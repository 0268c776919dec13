DROP INDEX invitations_group_status;
