-- The group's invitations page lists one status tab at a time, newest
-- first, and counts every tab: both read this index alone.
CREATE INDEX invitations_group_status ON invitations (group_id, status, id);
