{#- Who a subject (API key, wallet address or workspace id) bills to, instant by instant:
    each subject's links to a workspace, organisation and billing account intersected into
    ranges [valid_from, valid_to) over which the whole chain is constant. A subject is
    mapped at an instant only if every link of its chain is valid then; is_test holds if
    the key or wallet, its workspace or its organisation is flagged (test or internal)
    over the range. -#}

with

api_keys as (
    select * from {{ ref('stg_raw__api_keys') }}
),

wallets as (
    select * from {{ ref('stg_raw__wallets') }}
),

workspaces as (
    select * from {{ ref('stg_raw__workspaces') }}
),

organisations as (
    select * from {{ ref('stg_raw__organisations') }}
),

subject_links as (
    select
        api_key_id as subject,
        'api_key' as subject_type,
        workspace_id,
        valid_from,
        coalesce(valid_to, {{ tally.end_of_time() }}) as valid_to,
        is_test
    from api_keys
    union all
    select
        wallet_address as subject,
        'wallet' as subject_type,
        workspace_id,
        valid_from,
        coalesce(valid_to, {{ tally.end_of_time() }}) as valid_to,
        is_test
    from wallets
    union all
    -- A workspace id is a subject too (docs/data-contract.md): its own link is the
    -- workspace itself, so its chain is the workspace's organisation links over time.
    select
        workspace_id as subject,
        'workspace' as subject_type,
        workspace_id,
        valid_from,
        coalesce(valid_to, {{ tally.end_of_time() }}) as valid_to,
        false as is_test
    from workspaces
),

with_workspace as (
    select
        subject_links.subject,
        subject_links.subject_type,
        subject_links.workspace_id,
        workspaces.organisation_id,
        case
            when subject_links.valid_from > workspaces.valid_from then subject_links.valid_from
            else workspaces.valid_from
        end as valid_from,
        case
            when subject_links.valid_to < coalesce(workspaces.valid_to, {{ tally.end_of_time() }})
                then subject_links.valid_to
            else coalesce(workspaces.valid_to, {{ tally.end_of_time() }})
        end as valid_to,
        subject_links.is_test or workspaces.is_test as is_test
    from subject_links
    inner join workspaces
        on
            subject_links.workspace_id = workspaces.workspace_id
            and subject_links.valid_from < coalesce(workspaces.valid_to, {{ tally.end_of_time() }})
            and workspaces.valid_from < subject_links.valid_to
),

with_organisation as (
    select
        with_workspace.subject,
        with_workspace.subject_type,
        with_workspace.workspace_id,
        with_workspace.organisation_id,
        organisations.billing_account_id,
        case
            when with_workspace.valid_from > organisations.valid_from then with_workspace.valid_from
            else organisations.valid_from
        end as valid_from,
        case
            when with_workspace.valid_to < coalesce(organisations.valid_to, {{ tally.end_of_time() }})
                then with_workspace.valid_to
            else coalesce(organisations.valid_to, {{ tally.end_of_time() }})
        end as valid_to,
        with_workspace.is_test or organisations.is_internal as is_test
    from with_workspace
    inner join organisations
        on
            with_workspace.organisation_id = organisations.organisation_id
            and with_workspace.valid_from < coalesce(organisations.valid_to, {{ tally.end_of_time() }})
            and organisations.valid_from < with_workspace.valid_to
),

final as (
    select
        subject || '@' || cast(valid_from as varchar) as subject_range_id,
        subject,
        subject_type,
        workspace_id,
        organisation_id,
        billing_account_id,
        valid_from,
        valid_to,
        is_test
    from with_organisation
    where valid_from < valid_to
)

select * from final
