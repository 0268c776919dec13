DROP INDEX messages_ref;
