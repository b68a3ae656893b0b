{#
    Incremental models keep rows built on earlier nights. Those rows are only right while the logic
    that built them is unchanged: the model's SQL, every model, seed and snapshot upstream of it,
    and the project's macros (whose text dbt does not checksum: the nightly job passes a hash of
    macros/ as WATERWH_DBT_MACROS_SHA). Each row carries the fingerprint of that logic; the
    pre-hook below deletes rows built under another, and the model rebuilds what is missing.
#}
{% macro logic_fingerprint() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set found = {} -%}
    {%- do _collect_logic_checksums(model.unique_id, found) -%}
    {%- set parts = [env_var('WATERWH_DBT_MACROS_SHA', '')] -%}
    {%- for unique_id in found | sort -%}
        {%- do parts.append(unique_id ~ '=' ~ found[unique_id]) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join(';'))) }}
{%- endmacro %}

{% macro _collect_logic_checksums(unique_id, found) -%}
    {%- set node = (graph.get('nodes') or {}).get(unique_id) -%}
    {#- sources are data, not logic; a node already seen was walked from there -#}
    {%- if node is not none and unique_id not in found -%}
        {%- do found.update({unique_id: node.checksum.checksum ~ ':' ~ (node.depends_on.macros | sort | join(','))}) -%}
        {%- for parent in node.depends_on.nodes -%}
            {%- do _collect_logic_checksums(parent, found) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{# Pre-hook: delete the rows built under other logic (all rows, if the table predates the column). #}
{% macro delete_rows_of_other_logic(relation) -%}
    {%- if not relation_has_column(relation, 'logic_fingerprint') -%}
    delete from {{ relation }}
    {%- else -%}
    delete from {{ relation }} where logic_fingerprint is distinct from '{{ logic_fingerprint() }}'
    {%- endif -%}
{%- endmacro %}
