{#
    The Chinese label of an enum code (seed enum_labels), for dashboards and reports read in
    Chinese. A scalar subquery rather than a join so a model adds a label in one line; max() keeps
    it valid where a correlated subquery must aggregate (Spark).
#}
{% macro label_zh(enum_name, column) -%}
    (select max(enum_labels_.label_zh) from {{ ref('enum_labels') }} as enum_labels_
     where enum_labels_.enum_name = '{{ enum_name }}' and enum_labels_.code = {{ column }})
{%- endmacro %}

{% macro delay_category_zh(column) -%}
    (select max(categories_.name_zh) from {{ ref('delay_reason_categories') }} as categories_
     where categories_.category = {{ column }})
{%- endmacro %}
