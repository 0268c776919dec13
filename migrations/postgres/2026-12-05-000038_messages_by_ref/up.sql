-- Answering an invitation marks the private message that announced it
-- read: found by its reference, not by reading every message.
CREATE INDEX messages_ref ON messages (ref_id, kind);
