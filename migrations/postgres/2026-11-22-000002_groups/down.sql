DROP TABLE join_requests;
DROP TABLE memberships;
DROP TABLE roles;
DROP TABLE groups;
