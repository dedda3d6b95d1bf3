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

{#- Whether a text is one of a '|'-separated list of values (a meter's filter values or
    success values). -#}
{% macro in_pipe_list(text_expression, list_expression) -%}
    {{ dbt.position(
        "'|' || " ~ text_expression ~ " || '|'",
        "'|' || " ~ list_expression ~ " || '|'",
    ) }} > 0
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
