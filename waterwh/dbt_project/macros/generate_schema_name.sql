{#
    Custom schemas are used verbatim (staging, intermediate, marts, snapshots, seeds) rather than
    dbt's default "<target schema>_<custom schema>": readers of the published file query
    `marts.fct_investment_snapshot`, whatever the target.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
