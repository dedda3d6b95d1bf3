{#- Helpers of int_events_classified, which is compiled from the meters seed: a row meets
    every meter of its event type side by side, in numbered slots (meter_id order within
    the event type) whose columns are named slot_<n>_<column>, and each slot's expressions
    are written out per event type with the meter's own constants (no meter row is joined
    to an event row). -#}

{#- The columns of a meter the classification is compiled from, and their types. -#}
{% macro compiled_meter_columns() %}
    {{ return([
        ('meter_id', 'text'), ('event_type', 'text'),
        ('filter_property_1', 'text'), ('filter_values_1', 'text'),
        ('filter_property_2', 'text'), ('filter_values_2', 'text'),
        ('aggregation', 'text'), ('value_property', 'text'), ('value_divisor', 'number'),
        ('group_by_1', 'text'), ('group_by_2', 'text'), ('group_by_3', 'text'),
        ('collapses_retries', 'boolean'), ('status_property', 'text'), ('success_values', 'text'),
    ]) }}
{% endmacro %}

{#- The meters, as a list of dicts with the seed's columns (tally.compiled_meter_columns:
    empty texts as none, collapses_retries a boolean, value_divisor an integer), ordered by
    event type and meter id: from var('tally_meters') when it is set (a unit test gives its
    meters there), else from the meters seed read when the model is compiled; none while
    parsing, and empty where the seed is not loaded (a lint compiles the model against an
    empty database; a build that ran on it would fail, as the model also reads the seed:
    tally.meters_as_compiled_check). -#}
{% macro compiled_meters(meters_relation, meters_var) %}
    {%- set columns = tally.compiled_meter_columns() -%}
    {%- if meters_var is not none -%}
        {%- set rows = meters_var -%}
    {%- elif not execute -%}
        {{ return(none) }}
    {%- else -%}
        {%- set existing = tally.meters_table(meters_relation) -%}
        {%- if existing is none -%}
            {{ return([]) }}
        {%- endif -%}
        {%- set table = run_query(
            'select ' ~ (columns | map('first') | join(', ')) ~ ' from ' ~ existing
        ) -%}
        {#- Column names as the warehouse returns them (Snowflake: upper case). -#}
        {%- set rows = [] -%}
        {%- for table_row in table.rows -%}
            {%- set row = {} -%}
            {%- for name in table.column_names -%}
                {%- do row.update({name | lower: table_row[name]}) -%}
            {%- endfor -%}
            {%- do rows.append(row) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set meters = [] -%}
    {%- for row in rows -%}
        {%- set meter = {} -%}
        {%- for column, type in columns -%}
            {%- set value = row.get(column) -%}
            {%- if value is none or (value | string) == '' -%}
                {%- do meter.update({column: false if type == 'boolean' else none}) -%}
            {%- elif type == 'boolean' -%}
                {%- do meter.update({column: value in [true, 'true', 'True', 1]}) -%}
            {%- elif type == 'number' -%}
                {%- do meter.update({column: value | int}) -%}
            {%- else -%}
                {%- do meter.update({column: value | string}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do meters.append(meter) -%}
    {%- endfor -%}
    {{ return(meters | sort(attribute='meter_id') | sort(attribute='event_type')) }}
{% endmacro %}

{#- A query of one row, `is_as_compiled`: 1 when the meters seed holds exactly the meters
    the model was compiled from. Otherwise evaluating it fails with a message (a text cast
    to an integer, which fails alike in every warehouse): a view compiled before a meter
    was added or changed, or before the seed was loaded, never counts by other meters. -#}
{% macro meters_as_compiled_check(meters_relation, meters) -%}
    select
        case
            when
                count(*) = {{ (meters or []) | length }}
                and coalesce(sum(case when is_compiled then 1 else 0 end), 0) = count(*)
                then 1
            else cast('the meters seed changed since int_events_classified was compiled: rebuild it (dbt build)' as integer)
        end as is_as_compiled
    from (
        select
            {%- if meters %}
                {%- for meter in meters %}
                    (
                        {%- for column, type in tally.compiled_meter_columns() %}
                            {%- set value = meter[column] %}
                            seeded.{{ column }} is not distinct from
                            {%- if value is none %} null
                            {%- elif type == 'number' %} {{ value }}
                            {%- elif type == 'boolean' %} {{ 'true' if value else 'false' }}
                            {%- else %} {{ tally.text_literal(value) }}
                            {%- endif %}
                            {{- " and" if not loop.last }}
                        {%- endfor %}
                    ){{ " or" if not loop.last }}
                {%- endfor %}
            {%- else %}
                false
            {%- endif %} as is_compiled
        from {{ meters_relation }} as seeded
    ) as seeded_meters
{%- endmacro %}

{#- What int_events_classified is compiled from, as a dict: the meters, the meters by
    event type, the property names read as text, the number of slots (the most meters of
    one event type), each meter's expressions by event type in slot order
    (tally.meter_expressions over texts_column and json_column), whether an event type is
    one some meter counts (SQL over `events.event_type`), and whether any meter collapses
    retries. -#}
{% macro compiled_classification(meters, texts_column, json_column) %}
    {%- set read_meters = [] -%}
    {%- for meter in meters or [] -%}
        {%- do read_meters.append(tally.meter_with_defaults(meter)) -%}
    {%- endfor -%}
    {%- set meters_by_event_type = tally.meters_by_event_type(read_meters) -%}
    {%- set property_names = tally.meter_text_property_names(read_meters) -%}
    {%- set slot_expressions = {} -%}
    {%- set metered_event_types = [] -%}
    {%- for event_type, event_type_meters in meters_by_event_type.items() -%}
        {%- set expressions = [] -%}
        {%- for meter in event_type_meters -%}
            {%- do expressions.append(tally.meter_expressions(meter, property_names, texts_column, json_column)) -%}
        {%- endfor -%}
        {%- do slot_expressions.update({event_type: expressions}) -%}
        {%- do metered_event_types.append(tally.text_literal(event_type)) -%}
    {%- endfor -%}
    {{ return({
        'meters': meters or [],
        'meters_by_event_type': meters_by_event_type,
        'property_names': property_names,
        'slot_count': ([1] + (meters_by_event_type.values() | map('length') | list)) | max,
        'slot_expressions': slot_expressions,
        'is_metered_event_type': 'events.event_type in (' ~ (metered_event_types | join(', ')) ~ ')'
            if metered_event_types else 'false',
        'any_meter_collapses_retries': (meters or []) | selectattr('collapses_retries') | list | length > 0,
    }) }}
{% endmacro %}

{#- A meter as the classification reads it: a meter that collapses retries and names no
    status property reads `status`, and with no success values takes `success` (PRICING.md,
    "Retry collapse"). The seed's row itself is unchanged (meters_as_compiled_check
    compares the seed with it). -#}
{% macro meter_with_defaults(meter) %}
    {%- set read_meter = meter.copy() -%}
    {%- if read_meter['collapses_retries'] -%}
        {%- do read_meter.update({
            'status_property': read_meter['status_property'] or 'status',
            'success_values': read_meter['success_values'] or 'success',
        }) -%}
    {%- endif -%}
    {{ return(read_meter) }}
{% endmacro %}

{#- The meters by event type ({event type: [meters in meter_id order]}), in event type
    order. -#}
{% macro meters_by_event_type(meters) %}
    {%- set by_event_type = {} -%}
    {%- for meter in meters or [] -%}
        {%- if meter['event_type'] not in by_event_type -%}
            {%- do by_event_type.update({meter['event_type']: []}) -%}
        {%- endif -%}
        {%- do by_event_type[meter['event_type']].append(meter) -%}
    {%- endfor -%}
    {{ return(by_event_type) }}
{% endmacro %}

{#- The properties the meters read as text (filters, statuses, group-bys, and request_id when
    a meter collapses retries), sorted: on DuckDB they are extracted in one parse per row
    (tally.json_get_texts); elsewhere each is read by name. A value property is read as
    JSON by name, and only for the rows its meter's filters match. -#}
{% macro meter_text_property_names(meters) %}
    {{ return(adapter.dispatch('meter_text_property_names', 'tally')(meters)) }}
{% endmacro %}

{% macro default__meter_text_property_names(meters) %}
    {{ return([]) }}
{% endmacro %}

{% macro duckdb__meter_text_property_names(meters) %}
    {%- set names = [] -%}
    {%- for meter in meters or [] -%}
        {%- set columns = ['filter_property_1', 'filter_property_2', 'group_by_1', 'group_by_2', 'group_by_3'] -%}
        {%- if meter['collapses_retries'] -%}
            {%- do columns.append('status_property') -%}
            {%- if 'request_id' not in names -%}
                {%- do names.append('request_id') -%}
            {%- endif -%}
        {%- endif -%}
        {%- for column in columns -%}
            {%- if meter[column] and meter[column] not in names -%}
                {%- do names.append(meter[column]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(names | sort) }}
{% endmacro %}

{#- A text as a SQL string literal. -#}
{% macro text_literal(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}

{#- A property of the row as text: from the row's list of texts when the list holds it, else
    read from the JSON by name. -#}
{% macro meter_property_text(name, property_names, texts_column, json_column) -%}
    {%- if name in property_names -%}
        {{ texts_column }}[{{ property_names.index(name) + 1 }}]
    {%- else -%}
        {{ tally.json_get_text(json_column, tally.text_literal(name)) }}
    {%- endif -%}
{%- endmacro %}

{#- Whether a property's text is one of a meter's '|'-separated values (false when the
    property is absent). A text containing '|' is one value and matches none of them. -#}
{% macro meter_property_in_values(name, values, property_names, texts_column, json_column) -%}
    {%- if values is none -%}
        false
    {%- else -%}
        {%- set literals = [] -%}
        {%- for value in values.split('|') -%}
            {%- do literals.append(tally.text_literal(value)) -%}
        {%- endfor -%}
        coalesce({{ tally.meter_property_text(name, property_names, texts_column, json_column) }} in ({{ literals | join(', ') }}), false)
    {%- endif -%}
{%- endmacro %}

{#- What a meter reads of a row, as SQL over the attributed row (texts_column, json_column),
    each a dict entry: is_filter_match, collapses_retries, is_success (a success, or a meter
    that does not collapse retries), quantity (number; null for unique_count), distinct_value
    (unique_count only), dimension_<k>_value, has_valid_quantity (over the slot's columns,
    named <slot>quantity and <slot>distinct_value), and its constants as literals. -#}
{% macro meter_expressions(meter, property_names, texts_column, json_column) %}
    {%- set filters = [] -%}
    {%- for filter in ['1', '2'] -%}
        {%- if meter['filter_property_' ~ filter] -%}
            {%- do filters.append(tally.meter_property_in_values(
                meter['filter_property_' ~ filter], meter['filter_values_' ~ filter],
                property_names, texts_column, json_column,
            )) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set collapses = meter['collapses_retries'] -%}
    {%- if not collapses -%}
        {%- set is_success = 'true' -%}
    {%- else -%}
        {%- set is_success = tally.meter_property_in_values(
            meter['status_property'], meter['success_values'], property_names, texts_column, json_column,
        ) -%}
    {%- endif -%}
    {%- set value = tally.json_get_value(json_column, tally.text_literal(meter['value_property'])) -%}
    {%- if meter['aggregation'] == 'count' -%}
        {%- set quantity = 'cast(1 as ' ~ tally.quantity_type() ~ ')' -%}
    {%- elif meter['aggregation'] == 'unique_count' or not meter['value_property'] -%}
        {%- set quantity = tally.meter_null('quantity') -%}
    {%- elif meter['value_divisor'] -%}
        {%- set quantity = tally.divide(tally.json_value_number(value), meter['value_divisor'] | string) -%}
    {%- else -%}
        {%- set quantity = tally.json_value_number(value) -%}
    {%- endif -%}
    {%- set expressions = {
        'is_filter_match': filters | join(' and ') if filters else 'true',
        'collapses_retries': 'true' if collapses else 'false',
        'is_success': is_success,
        'quantity': quantity,
        'distinct_value': tally.json_value_canonical_text(value)
            if meter['aggregation'] == 'unique_count' and meter['value_property'] else tally.meter_null('distinct_value'),
        'has_valid_quantity': 'true' if meter['aggregation'] == 'count'
            else '<slot>distinct_value is not null' if meter['aggregation'] == 'unique_count'
            else 'coalesce(<slot>quantity >= 0, false)',
        'meter_id': tally.text_literal(meter['meter_id']),
        'aggregation': tally.text_literal(meter['aggregation']),
    } -%}
    {%- for group_by in ['1', '2', '3'] -%}
        {%- set name = meter['group_by_' ~ group_by] -%}
        {%- do expressions.update({
            'group_by_' ~ group_by: tally.text_literal(name) if name else tally.meter_null('group_by_' ~ group_by),
            'dimension_' ~ group_by ~ '_value': tally.meter_property_text(name, property_names, texts_column, json_column)
                if name else tally.meter_null('dimension_' ~ group_by ~ '_value'),
        }) -%}
    {%- endfor -%}
    {{ return(expressions) }}
{% endmacro %}

{#- A typed null for what a meter reads (`key` of tally.meter_expressions): a quantity is a
    decimal, everything else text. -#}
{% macro meter_null(key) -%}
    {%- if key == 'quantity' -%}
        cast(null as {{ tally.quantity_type() }})
    {%- else -%}
        cast(null as {{ dbt.type_string() }})
    {%- endif -%}
{%- endmacro %}

{#- The expression `key` of the meter in a slot, chosen by the row's event type: a case over
    the event types with a meter in that slot (default for the others), or the default alone
    when no meter in the slot has anything else. slot_expressions: {event type: [expressions
    of its meters in slot order]} (tally.meter_expressions). -#}
{% macro meter_slot_case(slot_expressions, meter_slot, key, event_type_column, default=none) -%}
    {%- set default = tally.meter_null(key) if default is none else default -%}
    {%- set whens = [] -%}
    {%- for event_type, meters in slot_expressions.items() -%}
        {%- if meters | length >= meter_slot and meters[meter_slot - 1][key] != default -%}
            {%- do whens.append('when ' ~ tally.text_literal(event_type) ~ ' then ' ~ meters[meter_slot - 1][key]) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if whens -%}
        case {{ event_type_column }} {{ whens | join(' ') }} else {{ default }} end
    {%- else -%}
        {{ default }}
    {%- endif -%}
{%- endmacro %}

{#- Whether any slot's expression (template with <n> for the slot number) holds. -#}
{% macro any_meter_slot(expression_template, slot_count) -%}
    {%- set expressions = [] -%}
    {%- for meter_slot in range(1, slot_count + 1) -%}
        {%- do expressions.append(expression_template | replace('<n>', meter_slot | string)) -%}
    {%- endfor -%}
    ({{ expressions | join(' or ') }})
{%- endmacro %}

{#- A meter's constant (meter_id, aggregation, group_by_<k>) of the slot a (row, meter slot)
    row stands for, by its event type; null for a row that meets no meter. -#}
{% macro meter_constant_of_slot(slot_expressions, key) -%}
    case
        when meter_count is null then null
        {%- for event_type, meters in slot_expressions.items() %}
            when event_type = {{ tally.text_literal(event_type) }} then case meter_slot
                {%- for meter in meters %} when {{ loop.index }} then {{ meter[key] }}{% endfor %} end
        {%- endfor %}
    end
{%- endmacro %}

{#- The column of the meter slot a (row, meter slot) row stands for. -#}
{% macro of_meter_slot(column, slot_count) -%}
    case meter_slot
        {%- for meter_slot in range(1, slot_count + 1) %}
            when {{ meter_slot }} then slot_{{ meter_slot }}_{{ column }}
        {%- endfor %}
    end
{%- endmacro %}
