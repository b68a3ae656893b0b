{#- Which report of a key counts. Ranks 1 first; ties are broken the same way everywhere. -#}

{#- The latest report of a key: the latest period, then the ledger loaded last; of one load, the
    last row (or, row_order='asc', the first). -#}
{% macro latest_report_rank(partition_by, row_order='desc') -%}
    row_number() over (
        partition by {{ partition_by }}
        order by report_period_end desc, ledger_loaded_at desc, load_id desc, source_row {{ row_order }}
    )
{%- endmacro %}

{#- Of the reports of a key for one period, the newest ledger's (a resent or corrected ledger wins);
    of one load, its first row. -#}
{% macro newest_report_rank(partition_by) -%}
    row_number() over (
        partition by {{ partition_by }}
        order by ledger_loaded_at desc, load_id desc, source_sheet, source_row
    )
{%- endmacro %}

{#- The lineage a mart's row ends with: the load, its ledger's version, and where in the file. -#}
{% macro mart_lineage(relation=none) -%}
    {%- set p = relation ~ '.' if relation else '' -%}
    {{ p }}load_id,
    {{ p }}ledger_version_no,
    {{ p }}source_file,
    {{ p }}source_sheet,
    {{ p }}source_row
{%- endmacro %}

{#- The current ledgers' rows of `staging_model` that report a `key`, each with its recency_rank
    (1: the latest report of the key) and the period it was first reported in: the body of an
    accumulating snapshot (清四乱 issues, enforcement cases). -#}
{% macro latest_reports(staging_model, key) -%}
    select
        *,
        {{ latest_report_rank(key) }} as recency_rank,
        min(report_period_end) over (partition by {{ key }}) as first_reported_period_end
    from (
        {{ current_data_rows(
            ref(staging_model),
            ref('int_ledger_versions_current'),
            ref('stg_ledgers__reported_totals')
        ) }}
    ) as current_rows
    where not is_total_label_row
      and {{ key }} is not null
{%- endmacro %}
