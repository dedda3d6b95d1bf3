{#- Helpers of int_events_classified, where a row meets every meter of its event type side
    by side, in numbered slots whose columns are named slot_<n>_<column>. -#}

{#- A meter slot's property of the attributed row, as text: the property the slot's meter
    names in name_column, from the row's one parse of its properties by position when the
    list holds it (tally.json_get_text). -#}
{% macro meter_slot_property(meter_slot, slot, name_column, texts_column) -%}
    {{ tally.json_get_text(
        'attributed.properties',
        'event_type_slots.slot_' ~ meter_slot ~ '_' ~ name_column,
        texts_column,
        'event_type_slots.slot_' ~ meter_slot ~ '_' ~ slot ~ '_position',
    ) }}
{%- endmacro %}

{#- A '|'-separated list of values (a meter's filter values or success values) as a list,
    to look texts up in with list_has_text (split once per event type, not per row). -#}
{% macro split_pipe_list(text_expression) %}
    {{ return(adapter.dispatch('split_pipe_list', 'tally')(text_expression)) }}
{% endmacro %}

{% macro default__split_pipe_list(text_expression) -%}
    string_split({{ text_expression }}, '|')
{%- endmacro %}

{% macro snowflake__split_pipe_list(text_expression) -%}
    {#- Kept as text: list_has_text looks it up with the same answers as a list. -#}
    {{ text_expression }}
{%- endmacro %}

{#- Whether a list (split_pipe_list) holds a text; null when either is null. -#}
{% macro list_has_text(list_expression, text_expression) %}
    {{ return(adapter.dispatch('list_has_text', 'tally')(list_expression, text_expression)) }}
{% endmacro %}

{% macro default__list_has_text(list_expression, text_expression) -%}
    list_contains({{ list_expression }}, {{ text_expression }})
{%- endmacro %}

{% macro snowflake__list_has_text(list_expression, text_expression) -%}
    {#- The text between separators, and itself free of the separator: exactly the answers
        of a lookup in the split list, without arrays (which fakesnow cannot check). -#}
    (
        {{ dbt.position("'|' || " ~ text_expression ~ " || '|'", "'|' || " ~ list_expression ~ " || '|'") }} > 0
        and {{ dbt.position("'|'", text_expression) }} = 0
    )
{%- endmacro %}

{#- The column of the meter slot a (row, meter slot) row stands for. -#}
{% macro of_meter_slot(column, slot_count) -%}
    case meter_slot
        {%- for meter_slot in range(1, slot_count + 1) %}
            when {{ meter_slot }} then slot_{{ meter_slot }}_{{ column }}
        {%- endfor %}
    end
{%- endmacro %}

{#- Whether the expression holds for some meter slot: expression_template with <n> standing
    for the slot number, or-ed over the slots. -#}
{% macro any_meter_slot(expression_template, slot_count) -%}
    {%- set expressions = [] -%}
    {%- for meter_slot in range(1, slot_count + 1) -%}
        {%- do expressions.append(expression_template | replace('<n>', meter_slot | string)) -%}
    {%- endfor -%}
    ({{ expressions | join(' or ') }})
{%- endmacro %}
