DROP TABLE invitation_policies;
