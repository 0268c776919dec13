-- Reminders before an invitation expires, and "Tell me when it is accepted".
-- `reminded_expiry` is the expiry the reminders sent so far were for and
-- `reminded_points` how many of the configured points they covered: a
-- resend, a new link or "Extend 7 days" moves the expiry, so the points
-- start over for the new period. The reminder round claims a point with
-- a conditional UPDATE, so two servers never send the same reminder.
ALTER TABLE invitations ADD COLUMN reminded_expiry TIMESTAMP;
ALTER TABLE invitations ADD COLUMN reminded_points INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invitations ADD COLUMN tell_inviter BOOLEAN NOT NULL DEFAULT FALSE;
-- The reminder round reads pending invitations by expiry.
CREATE INDEX invitations_pending_expiry ON invitations (expires_at) WHERE status = 'pending';
