{#
    Every numeric measure of every raw data row, one row per (load, sheet, row, measure), named by
    the canonical spec column (total_investment, ytd_completed, allocated_amount, ...) as
    raw.reported_totals.measure names it, plus a `row_count` measure of 1 per data row so that
    stated counts ("合计41项") reconcile too. All loads, current or not: a stated total is checked
    against the rows of its own load. Only sheets that state a total: nothing else reads these rows,
    and a province's patrol logs (2 million rows, no 合计) made 8 of its 9 million.

    Incremental on DuckDB: a load's rows never change, so a night adds the loads new to the table
    (rows built under other logic are deleted first and so rebuilt, see logic_fingerprint). Elsewhere
    (Spark) a table.
#}
{{ config(**incremental_by_load()) }}

with

sheets_with_totals as (

    select distinct load_id, source_sheet from {{ ref('stg_ledgers__reported_totals') }}
    {% if is_incremental() %}
    where load_id not in (select load_id from {{ this }})
    {% endif %}

),

investment as (

    select ledger_rows.* from {{ ref('stg_ledgers__investment_lines') }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

funding as (

    select ledger_rows.* from {{ ref('stg_ledgers__funding_lines') }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

river_issues as (

    select ledger_rows.* from {{ ref('stg_ledgers__river_issues') }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

enforcement_cases as (

    select ledger_rows.* from {{ ref('stg_ledgers__enforcement_cases') }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

patrols as (

    select ledger_rows.* from {{ ref('stg_ledgers__patrols') }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

indicator_values as (

    select ledger_rows.* from {{ ref('stg_ledgers__indicator_values') }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

approval_items as (

    select ledger_rows.* from {{ ref('stg_ledgers__approval_items') }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

investment_columns as (

    select
        load_id, source_sheet, source_row,
        cast(total_investment_wan as decimal(20, 6)) as total_investment,
        cast(annual_plan_wan as decimal(20, 6)) as annual_plan,
        cast(period_completed_wan as decimal(20, 6)) as period_completed,
        cast(ytd_completed_wan as decimal(20, 6)) as ytd_completed,
        cast(since_start_completed_wan as decimal(20, 6)) as since_start_completed,
        cast(1 as decimal(20, 6)) as row_count
    from investment

),

investment_measures as (

    select * from investment_columns
    unpivot (measure_value for measure in (total_investment, annual_plan, period_completed, ytd_completed, since_start_completed, row_count))

),

funding_columns as (

    select
        load_id, source_sheet, source_row,
        cast(allocated_amount_wan as decimal(20, 6)) as allocated_amount,
        cast(received_amount_wan as decimal(20, 6)) as received_amount,
        cast(spent_amount_wan as decimal(20, 6)) as spent_amount,
        cast(round(amount_original, 6) as decimal(20, 6)) as amount_original,
        cast(1 as decimal(20, 6)) as row_count
    from funding

),

funding_measures as (

    select * from funding_columns
    unpivot (measure_value for measure in (allocated_amount, received_amount, spent_amount, amount_original, row_count))

),

river_issue_columns as (

    select
        load_id, source_sheet, source_row,
        cast(penalty_wan as decimal(20, 6)) as penalty,
        cast(1 as decimal(20, 6)) as row_count
    from river_issues

),

river_issue_measures as (

    select * from river_issue_columns
    unpivot (measure_value for measure in (penalty, row_count))

),

enforcement_columns as (

    select
        load_id, source_sheet, source_row,
        cast(penalty_wan as decimal(20, 6)) as penalty,
        cast(1 as decimal(20, 6)) as row_count
    from enforcement_cases

),

enforcement_measures as (

    select * from enforcement_columns
    unpivot (measure_value for measure in (penalty, row_count))

),

patrol_columns as (

    select
        load_id, source_sheet, source_row,
        cast(issues_found as decimal(20, 6)) as issues_found,
        cast(duration_min as decimal(20, 6)) as duration_min,
        cast(round(distance_km, 6) as decimal(20, 6)) as distance_km,
        cast(1 as decimal(20, 6)) as row_count
    from patrols

),

patrol_measures as (

    select * from patrol_columns
    unpivot (measure_value for measure in (issues_found, duration_min, distance_km, row_count))

),

indicator_measures as (

    select load_id, source_sheet, source_row, 'row_count' as measure,
        cast(1 as decimal(20, 6)) as measure_value
    from indicator_values

),

approval_measures as (

    select load_id, source_sheet, source_row, 'row_count' as measure,
        cast(1 as decimal(20, 6)) as measure_value
    from approval_items

),

unioned as (

    select * from investment_measures
    union all
    select * from funding_measures
    union all
    select * from river_issue_measures
    union all
    select * from enforcement_measures
    union all
    select * from patrol_measures
    union all
    select * from indicator_measures
    union all
    select * from approval_measures

)

select
    load_id,
    source_sheet,
    source_row,
    measure,
    measure_value,
    '{{ logic_fingerprint() }}' as logic_fingerprint
from unioned
