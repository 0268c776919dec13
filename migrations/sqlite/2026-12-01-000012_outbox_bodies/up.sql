-- A mail's bodies apart from its delivery state. The worker updates a row
-- of the outbox twice per mail (claimed, then sent); SQLite rewrites the
-- whole record on an update, so bodies in the row (several KiB, on overflow
-- pages) were read and written again each time, on the one writer.
CREATE TABLE outbox_bodies (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL
);
INSERT INTO outbox_bodies (outbox_id, text_body, html_body)
SELECT id, text_body, html_body FROM outbox;
ALTER TABLE outbox DROP COLUMN text_body;
ALTER TABLE outbox DROP COLUMN html_body;
