{{ tally.stage_identity_link('organisations', 'organisation_id', 'organisation_id', 'billing_account_id', 'is_internal', 'is_internal', ['organisation_name']) }}
