-- A CSV file of invitations uploaded on a group's invite page: checked
-- first (a dry run that sends nothing, each row classified), then sent in
-- the background in chunks, each chunk one transaction with the rows'
-- outcomes and `rows_done`, so a crash loses no row and sends none twice.
-- A worker holds an import it is sending by `lease_until`; another server
-- (or the same one restarted) takes it over once the lease has run out.
CREATE TABLE csv_imports (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    inviter_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    -- checked, sending, sent
    state TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    -- What the dry run found would be invited ("Send N invitations").
    will_invite INTEGER NOT NULL,
    rows_done INTEGER NOT NULL DEFAULT 0,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX csv_imports_inviter ON csv_imports (inviter_id, created_at);
CREATE INDEX csv_imports_group ON csv_imports (group_id);
CREATE INDEX csv_imports_sending ON csv_imports (state, lease_until);
-- One row of the file as read, with what the dry run found (`outcome`
-- 'will_invite' until it is sent) and then what sending it came to.
CREATE TABLE csv_import_rows (
    id BIGSERIAL PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES csv_imports (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    entry TEXT NOT NULL,
    community TEXT NOT NULL,
    role TEXT NOT NULL,
    message TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE UNIQUE INDEX csv_import_rows_line ON csv_import_rows (import_id, line);
CREATE INDEX csv_import_rows_outcome ON csv_import_rows (import_id, outcome, line);
