{#
    No double counting: no fact row is a stated total. Ingest keeps 合计/小计/group rows in
    raw.reported_totals, and the facts drop any row that coincides with one (same load, sheet, row)
    or is labelled as one; this checks the published result, for every fact with lineage.
#}

with

totals as (

    select load_id, source_sheet, source_row from {{ ref('stg_ledgers__reported_totals') }}

),

fact_rows as (

    select 'fct_investment_snapshot' as fact, load_id, source_sheet, source_row,
        project_name as label
    from {{ ref('fct_investment_snapshot') }}
    union all
    select 'fct_funding_flow', load_id, source_sheet, source_row, fund_program
    from {{ ref('fct_funding_flow') }}
    union all
    select 'fct_indicator_value', load_id, source_sheet, source_row, reported_indicator_name
    from {{ ref('fct_indicator_value') }}
    union all
    select 'fct_patrol', load_id, source_sheet, source_row, chief_name
    from {{ ref('fct_patrol') }}
    union all
    select 'fct_river_issue', load_id, source_sheet, source_row, issue_id
    from {{ ref('fct_river_issue') }}
    union all
    select 'fct_enforcement_case', load_id, source_sheet, source_row, case_no
    from {{ ref('fct_enforcement_case') }}
    union all
    select 'fct_approval_milestone', load_id, source_sheet, source_row, project_name
    from {{ ref('fct_approval_milestone') }}

),

coinciding as (

    select fact_rows.*, 'same load, sheet and row as a stated total' as problem
    from fact_rows
    inner join totals
        on fact_rows.load_id = totals.load_id
        and fact_rows.source_sheet is not distinct from totals.source_sheet
        and fact_rows.source_row = totals.source_row

),

labelled as (

    select fact_rows.*, 'labelled as a total' as problem
    from fact_rows
    where {{ is_total_label('label') }}

),

-- a funding line without a programme is a 分类小计 row (中央资金 above its programmes)
funding_group_rows as (

    select 'fct_funding_flow' as fact, load_id, source_sheet, source_row, fund_program as label,
        'funding line without programme' as problem
    from {{ ref('fct_funding_flow') }}
    where fund_program is null

)

select * from coinciding
union all
select * from labelled
union all
select * from funding_group_rows
