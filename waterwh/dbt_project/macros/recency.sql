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
