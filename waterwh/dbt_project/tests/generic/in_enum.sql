{# Non-NULL values of `column_name` that are no code of the enumeration `enum_name` fail: the codes
   are the seed enum_labels', generated from waterwh/ingest/specs/_enums.yaml (their one home). #}
{% test in_enum(model, column_name, enum_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
      and {{ column_name }} not in (
        select code from {{ ref('enum_labels') }} where enum_name = '{{ enum_name }}'
      )
{% endtest %}
