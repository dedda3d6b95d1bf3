{{ tally.stage_identity_link('api_keys', 'api_key_id', 'api_key_id', 'workspace_id', 'is_test', 'is_test') }}
