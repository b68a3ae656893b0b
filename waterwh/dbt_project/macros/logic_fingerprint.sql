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

{# The rows of `relation` (as `alias`) built under other logic: all, if the table predates the column. #}
{% macro rows_of_other_logic(relation, alias='held') -%}
    {%- if not relation_has_column(relation, 'logic_fingerprint') -%}
    true
    {%- else -%}
    {{ alias }}.logic_fingerprint is distinct from '{{ logic_fingerprint() }}'
    {%- endif -%}
{%- endmacro %}

{# Pre-hook: delete the rows built under other logic. #}
{% macro delete_rows_of_other_logic(relation) -%}
    delete from {{ relation }} as held where {{ rows_of_other_logic(relation) }}
{%- endmacro %}

{#
    Config of a model incremental by load (a load's rows never change: a night adds the loads new to
    the table, after deleting rows built under other logic) on DuckDB; a table elsewhere (Spark).
    The model itself reads only loads not yet in {{ this }} when is_incremental().
#}
{% macro incremental_by_load() -%}
    {{ return({
        'materialized': 'incremental' if target.type == 'duckdb' else 'table',
        'incremental_strategy': 'append',
        'on_schema_change': 'sync_all_columns',
        'pre_hook': "{% if is_incremental() %}{{ delete_rows_of_other_logic(this) }}{% endif %}",
    }) }}
{%- endmacro %}
