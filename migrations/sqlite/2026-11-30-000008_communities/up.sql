-- Communities: a group may have a parent (groups.parent_id). This closure
-- table holds one row per (group, ancestor), including (g, g, 0), so that
-- inherited access, inherited member lists and the cycle check are each one
-- indexed query whatever the depth of the tree.
CREATE TABLE group_ancestors (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    ancestor_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    depth INTEGER NOT NULL,
    PRIMARY KEY (group_id, ancestor_id)
);
-- Descendants of a community, nearest first.
CREATE INDEX group_ancestors_ancestor ON group_ancestors (ancestor_id, depth, group_id);

WITH RECURSIVE chain (group_id, ancestor_id, depth) AS (
    SELECT id, id, 0 FROM groups
    UNION ALL
    SELECT chain.group_id, groups.parent_id, chain.depth + 1
    FROM chain JOIN groups ON groups.id = chain.ancestor_id
    WHERE groups.parent_id IS NOT NULL
)
INSERT INTO group_ancestors (group_id, ancestor_id, depth)
SELECT group_id, ancestor_id, depth FROM chain;

-- A deleted custom role keeps its row (answered invitations and the audit
-- trail still name it) but leaves every list and frees its name.
ALTER TABLE roles ADD COLUMN deleted_at TIMESTAMP;
