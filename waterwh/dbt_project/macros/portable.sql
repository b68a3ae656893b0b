{#
    SQL that DuckDB and Spark spell differently, dispatched by adapter (default = DuckDB, the
    engine the warehouse is published from; spark__ = Apache Spark SQL, see docs/scale-out.md).
    Where dbt ships a cross-database macro (dbt.datediff, dbt.date_trunc, dbt.type_string...) the
    models use it directly; these cover what dbt does not.

    Regular expressions are passed as Jinja strings, not SQL: Spark's string literals treat a
    backslash as an escape character, DuckDB's do not, so each engine gets its own literal.
#}

{% macro sql_string_literal(text) -%}
    {{ return(adapter.dispatch('sql_string_literal')(text)) }}
{%- endmacro %}

{% macro default__sql_string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__sql_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{# true when `column` contains a match of `pattern` (RE2 / Java regex: the common subset) #}
{% macro regex_like(column, pattern) -%}
    {{ return(adapter.dispatch('regex_like')(column, pattern)) }}
{%- endmacro %}

{% macro default__regex_like(column, pattern) -%}
    regexp_matches({{ column }}, {{ sql_string_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_like(column, pattern) -%}
    regexp_like({{ column }}, {{ sql_string_literal(pattern) }})
{%- endmacro %}


{# every match of `pattern` in `column` replaced by `replacement` #}
{% macro regex_replace_all(column, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace_all')(column, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, {{ sql_string_literal(pattern) }}, {{ sql_string_literal(replacement) }}, 'g')
{%- endmacro %}

{% macro spark__regex_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, {{ sql_string_literal(pattern) }}, {{ sql_string_literal(replacement) }})
{%- endmacro %}


{# A select-list expression that yields one row per part of `column` split on `pattern`. #}
{% macro split_to_rows(column, pattern) -%}
    {{ return(adapter.dispatch('split_to_rows')(column, pattern)) }}
{%- endmacro %}

{% macro default__split_to_rows(column, pattern) -%}
    unnest(regexp_split_to_array({{ column }}, {{ sql_string_literal(pattern) }}))
{%- endmacro %}

{% macro spark__split_to_rows(column, pattern) -%}
    explode(split({{ column }}, {{ sql_string_literal(pattern) }}))
{%- endmacro %}


{#
    string_agg with an order: dbt.listagg cannot order on Spark (it warns and ignores the order),
    and the order of delay-reason categories and keywords is part of what readers see.
#}
{% macro ordered_string_agg(expression, separator, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(expression, separator, order_by)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by) -%}
    string_agg({{ expression }}, {{ sql_string_literal(separator) }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, separator, order_by) -%}
    listagg({{ expression }}, {{ sql_string_literal(separator) }}) within group (order by {{ order_by }})
{%- endmacro %}


{# A relation of the integers 0 .. n-1 in a column named `column`. #}
{% macro integer_range(n, alias, column) -%}
    range(0, {{ n }}) as {{ alias }}({{ column }})
{%- endmacro %}


{#
    A fingerprint of a whole row (the CTE or table alias `relation`): it changes when any column
    does. Only compared with fingerprints from the same engine (incremental change detection).
#}
{% macro row_fingerprint(relation) -%}
    {{ return(adapter.dispatch('row_fingerprint')(relation)) }}
{%- endmacro %}

{% macro default__row_fingerprint(relation) -%}
    md5(cast({{ relation }} as varchar))
{%- endmacro %}

{% macro spark__row_fingerprint(relation) -%}
    md5(to_json(struct({{ relation }}.*)))
{%- endmacro %}


{#
    dbt snapshots (SCD2 history) and the delete+insert incremental strategy need tables that
    support MERGE / DELETE: DuckDB's do; on Spark only Delta, Iceberg or Hudi tables do. The
    Spark target of this project writes plain Parquet (no extra jars), so there dim_project keeps
    one current version per project and fct_investment_snapshot is rebuilt in full. With Delta on
    a cluster, set the var table_format: delta (docs/scale-out.md).
#}
{% macro tables_support_merge_and_delete() -%}
    {{ return(target.type != 'spark' or var('table_format', 'parquet') in ('delta', 'iceberg', 'hudi')) }}
{%- endmacro %}
