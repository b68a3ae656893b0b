{#
    Text helpers used by the staging layer. Ingest already NFKC-normalises cells; these only
    remove what a clerk's spacing leaves behind.
#}

{# Free text: collapse runs of (Unicode) whitespace, trim, and turn placeholders into NULL. #}
{% macro clean_text(column) -%}
    nullif(
        nullif(
            trim(regexp_replace({{ column }}, '[\s\x{3000}\x{00a0}\x{2003}]+', ' ', 'g')),
            ''
        ),
        '/'
    )
{%- endmacro %}

{#
    Names of projects, areas, rivers, indicators, programmes: Chinese names carry no meaningful
    spaces ("王莽岭景区 基础设施" is one name), so every whitespace character is removed.
    '—', '-', '/' are "no value".
#}
{% macro clean_name(column) -%}
    case
        when trim(coalesce({{ column }}, '')) in ('', '/', '-', '—', '——', '无')
            then null
        else regexp_replace({{ column }}, '[\s\x{3000}\x{00a0}\x{2003}]+', '', 'g')
    end
{%- endmacro %}

{# A label that marks a stated total rather than a data row: 合计, 小计, 总计, 其中... #}
{% macro is_total_label(column) -%}
    coalesce(regexp_matches({{ column }}, '^\s*(合计|小计|总计|累计合计|其中)'), false)
{%- endmacro %}

{# Masked names ("XX镇", "XXX水库", "某村"): never a key on their own. #}
{% macro is_anonymised_name(column) -%}
    coalesce(regexp_matches({{ column }}, '(X{2,}|x{2,}|×{2,}|\*{2,}|某)'), false)
{%- endmacro %}
