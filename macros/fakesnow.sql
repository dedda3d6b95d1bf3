{#- fakesnow (the Snowflake check without an account) cannot create TEMPORARY tables in a
    named database, which dbt-snowflake uses for unit tests and incremental runs. When the
    environment says the target is fakesnow (TALLY_FAKESNOW=1), an ordinary table is created
    instead; against a real account the statement is the adapter's own. Self-contained on
    purpose: a project override cannot call the adapter macro it replaces. -#}
{% macro snowflake__create_table_temporary_sql(relation, compiled_code) -%}
    {%- set contract_config = config.get('contract') -%}
    {%- if contract_config.enforced -%}
        {{- get_assert_columns_equivalent(compiled_code) -}}
        {%- set compiled_code = get_select_subquery(compiled_code) -%}
    {%- endif -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {{ sql_header if sql_header is not none }}
    create or replace {{ '' if env_var('TALLY_FAKESNOW', '') == '1' else 'temporary' }} table {{ relation }}
    {%- if contract_config.enforced %}
        {{ get_table_columns_and_constraints() }}
    {%- endif %}
    as (
        {{ compiled_code }}
    );
{%- endmacro %}
