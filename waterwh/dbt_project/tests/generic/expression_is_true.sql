{#
    Rows for which `expression` is not true fail. `column_name` (when the test sits on a column)
    is prefixed: `expression: ">= 0"` on column x tests `x >= 0`. NULL results fail too unless the
    expression handles them; use the `where` config to scope.
#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ column_name ~ ' ' if column_name else '' }}{{ expression }}), false)
{% endtest %}
