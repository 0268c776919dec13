ALTER TABLE roles DROP COLUMN deleted_at;
DROP TABLE group_ancestors;
