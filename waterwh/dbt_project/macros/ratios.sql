{#
    numerator / denominator as a fraction rounded to 6 places; NULL when the denominator is NULL
    or 0. Every rate in the marts goes through here, so all rates round the same way.
#}
{% macro safe_ratio(numerator, denominator) -%}
    cast(round(cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0), 6)
        as decimal(18, 6))
{%- endmacro %}
