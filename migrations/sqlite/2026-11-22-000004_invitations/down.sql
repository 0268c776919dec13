DROP TABLE retired_invitation_links;
DROP TABLE invitation_events;
DROP TABLE invitations;
