-- Invitations sent together by the Add user wizard (one contact, several
-- groups, one mail with one link) share the id of the first of them, so
-- answering that link answers the whole batch.
ALTER TABLE invitations ADD COLUMN batch_id BIGINT;
CREATE INDEX invitations_batch_id ON invitations (batch_id);
