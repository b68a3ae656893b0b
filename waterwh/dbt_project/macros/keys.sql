{#
    Surrogate key: md5 over the '|'-joined values, NULL spelled out so that (NULL, 'a') and
    ('', 'a') differ. Same idea as dbt_utils.generate_surrogate_key, without the package.
#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|'
        {%- for column in columns %},
        coalesce(cast({{ column }} as {{ dbt.type_string() }}), '_waterwh_null_')
        {%- endfor %}
    ))
{%- endmacro %}
