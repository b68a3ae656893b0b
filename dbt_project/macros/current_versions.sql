{#
    The data rows of the current version of every ledger.

    A ledger (ledger_key = type|scope|period) may be loaded several times; audit.ledger_versions
    says which load is current. Rows of superseded loads stay in raw as history but never reach
    a fact. Rows that ingest also recorded as a stated total (raw.reported_totals, same load,
    sheet and row) are dropped as a second line of defence against double counting: totals are
    reconciled in fct_reported_total, never summed.

    Adds ledger_version_no and ledger_loaded_at (when the current version was loaded).
#}
{% macro current_data_rows(ledger_rows, current_versions, reported_totals) -%}
    select
        ledger_rows.*,
        current_versions.version_no as ledger_version_no,
        current_versions.version_loaded_at as ledger_loaded_at
    from {{ ledger_rows }} as ledger_rows
    inner join {{ current_versions }} as current_versions
        on ledger_rows.load_id = current_versions.load_id
        and ledger_rows.ledger_key = current_versions.ledger_key
    anti join {{ reported_totals }} as reported_totals
        on ledger_rows.load_id = reported_totals.load_id
        and ledger_rows.source_sheet is not distinct from reported_totals.source_sheet
        and ledger_rows.source_row = reported_totals.source_row
{%- endmacro %}

{# The staging lineage columns every raw row carries, in their fixed order. #}
{% macro lineage_columns() -%}
        load_id,
        ledger_key,
        source_file,
        source_sheet,
        source_row,
        file_sha256,
        loaded_at,
        ledger_scope,
        report_period_start,
        report_period_end,
        period_type
{%- endmacro %}

{#
    Pre-hook of an incremental model keyed by ledger version: delete its rows of ledger versions that
    are no longer current. A table built before the model had `required_column` (an older release)
    is emptied instead, so the model fills it again from every current row.
#}
{% macro delete_rows_of_superseded_versions(relation, current_versions, required_column) -%}
    {%- if not relation_has_column(relation, required_column) -%}
    delete from {{ relation }}
    {%- else -%}
    delete from {{ relation }} as held
    where not exists (
        select 1 from {{ current_versions }} as current_versions
        where current_versions.load_id = held.load_id
          and current_versions.ledger_key = held.ledger_key
    )
    {%- endif -%}
{%- endmacro %}

{# Whether an existing relation has a column (case-insensitive); false at parse time. #}
{% macro relation_has_column(relation, column) -%}
    {{ return(column | lower in (adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list)) }}
{%- endmacro %}
