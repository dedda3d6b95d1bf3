{#- Staging of one effective-dated identity table (organisations, workspaces, API keys,
    wallets): typed, UTC, flags as booleans, and for each key and valid_from the row of
    the latest load (reloading a file with a link closed is how identity changes). -#}
{% macro stage_identity_link(source_table, key_column, key_alias, parent_column, flag_column, flag_alias, extra_columns=[]) -%}

with

landed as (
    select
        {{ key_column }} as key_text,
        {{ parent_column }} as parent_text,
        valid_from as valid_from_text,
        valid_to as valid_to_text,
        {{ flag_column }} as flag_text,
        {%- for column in extra_columns %}
        {{ column }},
        {%- endfor %}
        _loaded_at,
        _line_number
    from {{ source('raw', source_table) }}
    where _load_error is null
),

typed as (
    select
        {{ tally.normalise_subject("nullif(key_text, '')") }} as {{ key_alias }},
        nullif(parent_text, '') as {{ parent_column }},
        {{ tally.parse_utc_timestamp('valid_from_text') }} as valid_from,
        {{ tally.parse_utc_timestamp("nullif(valid_to_text, '')") }} as valid_to,
        {{ tally.parse_flag('flag_text') }} as {{ flag_alias }},
        {%- for column in extra_columns %}
        {{ column }},
        {%- endfor %}
        row_number() over (
            partition by key_text, valid_from_text
            order by _loaded_at desc, _line_number desc
        ) as load_rank
    from landed
),

final as (
    select
        {{ key_alias }},
        {{ parent_column }},
        valid_from,
        valid_to,
        {{ flag_alias }},
        {%- for column in extra_columns %}
        {{ column }},
        {%- endfor %}
        {{ key_alias }} || '@' || cast(valid_from as varchar) as link_id
    from typed
    where load_rank = 1
)

select * from final

{%- endmacro %}
