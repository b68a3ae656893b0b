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

{#
    Pre-hooks of an incremental model keyed by ledger version: its rows of ledger versions that are no
    longer current, or built under other logic (see logic_fingerprint), are deleted, after their
    `columns` are kept in the temp table `<model>__removed` for the model to see what it lost. A
    table from before logic_fingerprint (an older release) loses every row.
#}
{% macro rows_of_superseded_versions_or_logic(relation, current_versions, alias='held') -%}
    ({{ rows_of_other_logic(relation, alias) }} or not exists (
        select 1 from {{ current_versions }} as current_versions
        where current_versions.load_id = {{ alias }}.load_id
          and current_versions.ledger_key = {{ alias }}.ledger_key
    ))
{%- endmacro %}

{# (nothing is kept when every row goes: the model then rebuilds all, and needs no list) #}
{% macro keep_removed_rows(relation, current_versions, columns) -%}
    create or replace temp table {{ relation.identifier }}__removed as
    select {{ columns | join(', ') }} from {{ relation }} as held
    where {{ rows_of_superseded_versions_or_logic(relation, current_versions) }}
      and exists (
        select 1 from {{ relation }} as kept
        where not {{ rows_of_superseded_versions_or_logic(relation, current_versions, 'kept') }}
      )
{%- endmacro %}

{% macro delete_removed_rows(relation, current_versions) -%}
    delete from {{ relation }} as held
    where {{ rows_of_superseded_versions_or_logic(relation, current_versions) }}
{%- endmacro %}

{# Whether an existing relation has a column (case-insensitive); false at parse time. #}
{% macro relation_has_column(relation, column) -%}
    {{ return(column | lower in (adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list)) }}
{%- endmacro %}
