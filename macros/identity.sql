{#- EVM wallet addresses (0x + 40 hex digits) are lowercased; every other subject is kept
    exactly as received (PRICING.md: "other subjects are compared exactly"). Portable: no
    regular expressions. -#}
{% macro normalise_subject(subject_expression) -%}
    case
        when
            left({{ subject_expression }}, 2) in ('0x', '0X')
            and length({{ subject_expression }}) = 42
            and ltrim(lower(substr({{ subject_expression }}, 3)), '0123456789abcdef') = ''
            then lower({{ subject_expression }})
        else {{ subject_expression }}
    end
{%- endmacro %}

{#- A loader flag column ('true'/'false', any case, empty false) as a boolean. -#}
{% macro parse_flag(text_expression) -%}
    coalesce(lower(trim({{ text_expression }})) in ('true', 't', '1', 'yes', 'y'), false)
{%- endmacro %}
