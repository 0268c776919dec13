DROP TABLE invitation_events;
DROP TABLE invitations;
