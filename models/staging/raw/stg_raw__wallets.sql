{{ tally.stage_identity_link('wallets', 'wallet_address', 'wallet_address', 'workspace_id', 'is_test', 'is_test') }}
