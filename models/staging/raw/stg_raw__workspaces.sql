{{ tally.stage_identity_link('workspaces', 'workspace_id', 'workspace_id', 'organisation_id', 'is_test', 'is_test', ['workspace_name']) }}
