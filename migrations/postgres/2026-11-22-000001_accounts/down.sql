DROP TABLE outbox;
DROP TABLE login_attempts;
DROP TABLE email_verifications;
DROP TABLE users;
