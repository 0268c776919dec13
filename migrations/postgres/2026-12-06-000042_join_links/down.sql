DROP TABLE join_link_uses;
DROP TABLE join_links;
