DROP TABLE notifications;
DROP TABLE messages;
DROP TABLE conversation_members;
DROP TABLE conversations;
