DROP INDEX memberships_by_join;
