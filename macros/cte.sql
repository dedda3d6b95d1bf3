{#- Keeps a CTE inlined where it is referenced more than once. DuckDB materialises such a
    CTE by default, which over the 20M-row event path costs far more than computing it again
    (measured in bench/metering.py: the classification took 466 s materialised, 32 s
    inlined); Snowflake's optimiser decides on its own and has no such keyword. Use as
    `name as {{ tally.inline_cte() }} (`. -#}
{% macro inline_cte() %}
    {{- return(adapter.dispatch('inline_cte', 'tally')()) -}}
{% endmacro %}

{% macro default__inline_cte() -%}
{%- endmacro %}

{% macro duckdb__inline_cte() -%}
    not materialized
{%- endmacro %}

{#- The other way round: a CTE read more than once that should be computed once and kept,
    because computing it again would redo expensive work (JSON reads) over every row. DuckDB
    might otherwise inline it and materialise a wider CTE it reads from. -#}
{% macro materialized_cte() %}
    {{- return(adapter.dispatch('materialized_cte', 'tally')()) -}}
{% endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
