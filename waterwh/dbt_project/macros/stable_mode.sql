{#
    The most frequent non-null value of a column; ties go to the smallest value. DuckDB's mode()
    breaks ties arbitrarily, which made two builds of the same data differ.
#}
{% macro stable_mode(column) -%}
    {{ return(adapter.dispatch('stable_mode')(column)) }}
{%- endmacro %}

{% macro default__stable_mode(column) -%}
    list_sort(list_transform(map_entries(histogram({{ column }})),
        lambda e: {'n': -cast(e.value as bigint), 'k': e.key}))[1].k
{%- endmacro %}

{# Spark ≥ 4.0: mode(col, true) returns the lowest of equally frequent values. #}
{% macro spark__stable_mode(column) -%}
    mode({{ column }}, true)
{%- endmacro %}
