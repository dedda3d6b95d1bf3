{#- Generic test: the combination of columns is unique (null counts as a value). Returns
    the repeated combinations, so a stored failure names them. -#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as repeated_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
