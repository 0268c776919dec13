DROP TABLE case_comments;
DROP TABLE cases;
DROP TABLE audit_events;
DROP INDEX groups_account_id;
ALTER TABLE groups DROP COLUMN account_id;
DROP INDEX users_account_email;
ALTER TABLE users DROP COLUMN is_super_user;
ALTER TABLE users DROP COLUMN account_id;
DROP TABLE company_accounts;
