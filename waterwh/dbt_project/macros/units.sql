{#- Generated from waterwh/ingest/units.py (python -m waterwh.ingest.units); a test keeps them equal. -#}

{#- What one of a money unit is in 万元; NULL for any other unit. -#}
{% macro to_wan_factor(unit) -%}
    case {{ unit }}
        when '元' then 0.0001
        when '万元' then 1.0
        when '亿元' then 10000.0
    end
{%- endmacro %}
