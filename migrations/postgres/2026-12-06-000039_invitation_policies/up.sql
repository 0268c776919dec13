-- A community's invitation policy: one row per group that has rules of its
-- own (no row: none). The rules of every community above apply as well, and
-- a row may only narrow them (services::invitation_policy refuses a save
-- that widens; policy::may_invite_address checks every level).
CREATE TABLE invitation_policies (
    group_id BIGINT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    -- Domains, one per line, lower case. Empty: any domain.
    allowed_domains TEXT NOT NULL,
    blocked_domains TEXT NOT NULL,
    -- A listed domain covers its subdomains as well.
    include_subdomains BOOLEAN NOT NULL,
    -- Addresses at domains of the shipped disposable list are refused.
    block_disposable BOOLEAN NOT NULL,
    -- domain::WhoMayInvite: 'managers' (anyone with manage_member) or
    -- 'admins' (manage_group as well).
    who_may_invite TEXT NOT NULL,
    invitations_off BOOLEAN NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMP NOT NULL
);
