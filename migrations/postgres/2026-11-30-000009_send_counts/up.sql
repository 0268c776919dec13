-- Daily invitation quotas read hourly counters instead of counting an
-- inviter's or a group's recent events: a quota check is then at most 24
-- rows of one index range, however many invitations were sent.
-- scope: 'inviter' (subject_id = users.id) or 'group' (groups.id);
-- hour: unix time / 3600.
CREATE TABLE invitation_send_counts (
    scope TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    sends BIGINT NOT NULL,
    PRIMARY KEY (scope, subject_id, hour)
);
-- Pruning old hours.
CREATE INDEX invitation_send_counts_hour ON invitation_send_counts (hour);

INSERT INTO invitation_send_counts (scope, subject_id, hour, sends)
SELECT 'inviter', actor_id, CAST(floor(extract(epoch FROM created_at) / 3600) AS BIGINT), COUNT(*)
FROM invitation_events
WHERE kind IN ('sent', 'resent') AND actor_id IS NOT NULL
  AND created_at >= (now() AT TIME ZONE 'UTC') - INTERVAL '1 day'
GROUP BY 1, 2, 3;
INSERT INTO invitation_send_counts (scope, subject_id, hour, sends)
SELECT 'group', i.group_id, CAST(floor(extract(epoch FROM e.created_at) / 3600) AS BIGINT), COUNT(*)
FROM invitation_events e JOIN invitations i ON i.id = e.invitation_id
WHERE e.kind IN ('sent', 'resent') AND e.created_at >= (now() AT TIME ZONE 'UTC') - INTERVAL '1 day'
GROUP BY 1, 2, 3;

-- "Is this person already invited to this group?" is asked with the status
-- as a bound parameter, which the partial unique index cannot serve (the
-- planner only uses it for a literal 'pending'): without this index the
-- lookup scanned every invitation of the group. The (group_id, sent_at)
-- index served only the old quota count.
DROP INDEX invitations_group_sent;
CREATE INDEX invitations_group_invitee ON invitations (group_id, invitee_email_key);
