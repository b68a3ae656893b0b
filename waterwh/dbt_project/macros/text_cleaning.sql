{#
    Text helpers used by the staging layer. Ingest already NFKC-normalises cells; these only
    remove what a clerk's spacing leaves behind.
#}

{# Free text: collapse runs of (Unicode) whitespace, trim, and turn placeholders into NULL. #}
{% macro clean_text(column) -%}
    nullif(
        nullif(
            trim({{ regex_replace_all(column, '[\\s\\x{3000}\\x{00a0}\\x{2003}]+', ' ') }}),
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
        else {{ regex_replace_all(column, '[\\s\\x{3000}\\x{00a0}\\x{2003}]+', '') }}
    end
{%- endmacro %}

{# A label that marks a stated total rather than a data row: 合计, 小计, 总计, 其中... #}
{% macro is_total_label(column) -%}
    coalesce({{ regex_like(column, '^\\s*(合计|小计|总计|累计合计|其中)') }}, false)
{%- endmacro %}

{# Masked names ("XX镇", "XXX水库", "某村"): never a key on their own. #}
{% macro is_anonymised_name(column) -%}
    coalesce({{ regex_like(column, '(X{2,}|x{2,}|×{2,}|\\*{2,}|某)') }}, false)
{%- endmacro %}
