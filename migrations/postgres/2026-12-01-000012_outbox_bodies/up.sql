-- A mail's bodies apart from its delivery state, as on SQLite (where it
-- matters: SQLite rewrites a whole record on an update, and the worker
-- updates each mail's row twice). PostgreSQL keeps large values out of
-- line already; the schema stays the same on both.
CREATE TABLE outbox_bodies (
    outbox_id BIGINT PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL
);
INSERT INTO outbox_bodies (outbox_id, text_body, html_body)
SELECT id, text_body, html_body FROM outbox;
ALTER TABLE outbox DROP COLUMN text_body;
ALTER TABLE outbox DROP COLUMN html_body;
