{#- JSON access, dispatched per warehouse. Staging checks `properties` once (DuckDB keeps
    the checked text; Snowflake parses a VARIANT); later models read it through these
    macros, with the key given as an SQL expression (meters are data). -#}

{#- Properties text as staging reads it: absent, blank, or the JSON null (blanks around it
    allowed) is the empty object `{}` (PRICING.md); anything else is kept. Only texts under
    32 characters are trimmed: trimming every row's properties cost 6.6 s at 20M events,
    the length check 0.1 s. -#}
{% macro empty_object_when_absent(text_expression) -%}
    case
        when
            {{ text_expression }} is null
            or (
                {{ dbt.length(text_expression) }} < 32
                and trim({{ text_expression }}, ' ' || chr(9) || chr(10) || chr(13)) in ('', 'null')
            )
            then '{}'
        else {{ text_expression }}
    end
{%- endmacro %}

{#- The JSON object parsed from text, or null when the text is not a JSON object. -#}
{% macro parse_json_object(text_expression) %}
    {{ return(adapter.dispatch('parse_json_object', 'tally')(text_expression)) }}
{% endmacro %}

{% macro default__parse_json_object(text_expression) -%}
    {#- One parse: valid JSON whose first character is a brace is an object. The text is
        kept (DuckDB's JSON functions parse text on every call either way). -#}
    case
        when
            left(ltrim({{ text_expression }}), 1) = '{'
            and json_valid({{ text_expression }})
            then {{ text_expression }}
    end
{%- endmacro %}

{% macro snowflake__parse_json_object(text_expression) -%}
    {#- An object is JSON that parses and starts with a brace (portable to fakesnow,
        which has no IS_OBJECT). -#}
    case
        when
            left(ltrim({{ text_expression }}), 1) = '{'
            and try_parse_json({{ text_expression }}) is not null
            then try_parse_json({{ text_expression }})
    end
{%- endmacro %}

{#- The properties as canonical text (keys sorted, numbers by value), to tell whether two
    deliveries of one event carry the same properties. Used only on the few rows whose
    event id repeats with different text. -#}
{% macro canonical_properties(json_expression) %}
    {{ return(adapter.dispatch('canonical_properties', 'tally')(json_expression)) }}
{% endmacro %}

{% macro default__canonical_properties(json_expression) -%}
    {{ tally._canonical_json_object(json_expression, 3) }}
{%- endmacro %}

{#- An object's canonical text: keys sorted, numbers by value, nested objects likewise to
    `depth` levels (deeper values, and arrays, compare as their JSON text). -#}
{% macro _canonical_json_object(object_expression, depth) -%}
    '{' || array_to_string(
        list_transform(
            list_sort(json_keys({{ object_expression }})),
            lambda key_{{ depth }}: to_json(key_{{ depth }}) || ':' || {{ tally._canonical_json_value(
                "json_extract(" ~ object_expression ~ ", '$.\"' || key_" ~ depth ~ " || '\"')",
                depth,
            ) }}
        ),
        ','
    ) || '}'
{%- endmacro %}

{% macro _canonical_json_value(value_expression, depth) -%}
    {%- set scalar -%}
        coalesce(
            {{ tally.decimal_to_text(tally.json_value_number(value_expression)) }},
            cast({{ value_expression }} as varchar)
        )
    {%- endset -%}
    {%- if depth > 1 -%}
        case
            when json_type({{ value_expression }}) = 'OBJECT'
                then {{ tally._canonical_json_object(value_expression, depth - 1) }}
            else {{ scalar }}
        end
    {%- else -%}
        {{ scalar }}
    {%- endif -%}
{%- endmacro %}

{% macro snowflake__canonical_properties(json_expression) -%}
    {#- Snowflake keeps an OBJECT's keys sorted and compares numbers by value. -#}
    to_varchar({{ json_expression }})
{%- endmacro %}

{#- A decimal as text without trailing zeros (1.500 -> 1.5, 2.000 -> 2). -#}
{% macro decimal_to_text(decimal_expression) -%}
    rtrim(
        rtrim(cast(cast({{ decimal_expression }} as decimal(38, 18)) as varchar), '0'), '.'
    )
{%- endmacro %}

{#- The named properties as text (strings unquoted, numbers as written, null when absent or
    null), a list in the order of `property_names`, from one parse of the text (DuckDB only;
    see meter_text_property_names). -#}
{% macro json_get_texts(json_expression, property_names) -%}
    json_extract_string({{ json_expression }}, [
        {%- for name in property_names -%}
            '$."{{ name }}"'{{ ", " if not loop.last }}
        {%- endfor -%}
    ])
{%- endmacro %}

{#- One property as text: from the extracted list by position when the list holds it, else
    read from the JSON by name (null when the name is null). -#}
{% macro json_get_text(json_expression, key_expression, texts_expression=none, position_expression=none) %}
    {{ return(adapter.dispatch('json_get_text', 'tally')(json_expression, key_expression, texts_expression, position_expression)) }}
{% endmacro %}

{% macro default__json_get_text(json_expression, key_expression, texts_expression, position_expression) -%}
    {%- if texts_expression is none -%}
        json_extract_string({{ json_expression }}, '$."' || {{ key_expression }} || '"')
    {%- else -%}
        case
            when {{ position_expression }} is not null
                then {{ texts_expression }}[{{ position_expression }}]
            when {{ key_expression }} is not null
                then json_extract_string({{ json_expression }}, '$."' || {{ key_expression }} || '"')
        end
    {%- endif -%}
{%- endmacro %}

{% macro snowflake__json_get_text(json_expression, key_expression, texts_expression, position_expression) -%}
    {{ tally.json_value_text('get(' ~ json_expression ~ ', ' ~ key_expression ~ ')') }}
{%- endmacro %}

{#- One property's JSON value, read by name. -#}
{% macro json_get_value(json_expression, key_expression) %}
    {{ return(adapter.dispatch('json_get_value', 'tally')(json_expression, key_expression)) }}
{% endmacro %}

{% macro default__json_get_value(json_expression, key_expression) -%}
    json_extract({{ json_expression }}, '$."' || {{ key_expression }} || '"')
{%- endmacro %}

{% macro snowflake__json_get_value(json_expression, key_expression) -%}
    get({{ json_expression }}, {{ key_expression }})
{%- endmacro %}

{#- A JSON value as text: strings unquoted, numbers as written, null when absent or null. -#}
{% macro json_value_text(value_expression) %}
    {{ return(adapter.dispatch('json_value_text', 'tally')(value_expression)) }}
{% endmacro %}

{% macro default__json_value_text(value_expression) -%}
    json_extract_string({{ value_expression }}, '$')
{%- endmacro %}

{% macro snowflake__json_value_text(value_expression) -%}
    cast({{ value_expression }} as varchar)
{%- endmacro %}

{#- A JSON value as an exact decimal(38, 18) when it is a JSON number, else null. -#}
{% macro json_value_number(value_expression) %}
    {{ return(adapter.dispatch('json_value_number', 'tally')(value_expression)) }}
{% endmacro %}

{% macro default__json_value_number(value_expression) -%}
    {#- The value's JSON text is cast, so a JSON string ("12", quoted), boolean, null or
        object never casts, and a JSON number casts exactly. -#}
    try_cast(cast({{ value_expression }} as varchar) as decimal(38, 18))
{%- endmacro %}

{% macro snowflake__json_value_number(value_expression) -%}
    case
        when typeof({{ value_expression }}) in ('INTEGER', 'DECIMAL', 'DOUBLE')
            then try_to_decimal(cast({{ value_expression }} as varchar), 38, 18)
    end
{%- endmacro %}

{#- A JSON value as canonical text for distinct counting: numbers by value, EVM addresses
    lowercased, other text exactly. -#}
{% macro json_value_canonical_text(value_expression) -%}
    coalesce(
        {{ tally.decimal_to_text(tally.json_value_number(value_expression)) }},
        {{ tally.normalise_subject(tally.json_value_text(value_expression)) }}
    )
{%- endmacro %}

{#- The meters seed as a table to query when a model is compiled, or none while parsing, in
    a unit test (its meters are a fixture, not a table) or before the seed is loaded. -#}
{% macro meters_table(meters_relation) %}
    {%- if not execute or meters_relation.schema is none or meters_relation.identifier is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=meters_relation.database,
        schema=meters_relation.schema,
        identifier=meters_relation.identifier,
    )) }}
{% endmacro %}
