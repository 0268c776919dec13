-- What one "Send Invitation" did, entry by entry, for its result page
-- (POST/redirect/GET). Refused entries leave no invitation behind, so the
-- result cannot be read back from the invitations table. The script's
-- sliced sending appends each slice to the same report.
CREATE TABLE invite_reports (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    inviter_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The form as sent, without its list (role, message, groups), url-encoded:
    -- "Invite more" and "Fix N entries" reopen it.
    form TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- An inviter's old reports are pruned when they send again.
CREATE INDEX invite_reports_inviter ON invite_reports (inviter_id, created_at);

CREATE TABLE invite_report_lines (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES invite_reports (id) ON DELETE CASCADE,
    -- The entry as typed (normalised).
    entry TEXT NOT NULL,
    -- domain::InviteOutcome's code: invited, invited_in_app, invited_by_email,
    -- quota_reached, already_member, already_invited, no_such_user,
    -- not_allowed, account_not_active, invalid_entry.
    outcome TEXT NOT NULL,
    -- Why, for not_allowed; otherwise empty.
    detail TEXT NOT NULL,
    -- The groups invited to, when several were asked for ("A and B").
    groups TEXT NOT NULL
);
CREATE INDEX invite_report_lines_report ON invite_report_lines (report_id, outcome, id);
