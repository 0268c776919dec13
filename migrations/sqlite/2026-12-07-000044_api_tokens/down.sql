DROP TABLE api_token_groups;
DROP TABLE api_tokens;
