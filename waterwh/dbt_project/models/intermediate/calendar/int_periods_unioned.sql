{#
    Every distinct reporting or statistical period the ledgers mention: the ledger period of every
    raw row, and the statistical period of every indicator value.
#}

with

investment as (select * from {{ ref('stg_ledgers__investment_lines') }}),
funding as (select * from {{ ref('stg_ledgers__funding_lines') }}),
indicator_values as (select * from {{ ref('stg_ledgers__indicator_values') }}),
patrols as (select * from {{ ref('stg_ledgers__patrols') }}),
river_issues as (select * from {{ ref('stg_ledgers__river_issues') }}),
enforcement_cases as (select * from {{ ref('stg_ledgers__enforcement_cases') }}),
approval_items as (select * from {{ ref('stg_ledgers__approval_items') }}),

ledger_periods as (

    select report_period_start as period_start, report_period_end as period_end, period_type from investment
    union
    select report_period_start, report_period_end, period_type from funding
    union
    select report_period_start, report_period_end, period_type from indicator_values
    union
    select report_period_start, report_period_end, period_type from patrols
    union
    select report_period_start, report_period_end, period_type from river_issues
    union
    select report_period_start, report_period_end, period_type from enforcement_cases
    union
    select report_period_start, report_period_end, period_type from approval_items

),

statistical_periods as (

    select stat_period_start as period_start, stat_period_end as period_end,
        stat_period_type as period_type
    from indicator_values

),

unioned as (

    select * from ledger_periods
    union
    select * from statistical_periods

)

select
    {{ surrogate_key(['period_start', 'period_end', 'period_type']) }} as period_key,
    period_start,
    period_end,
    coalesce(period_type, 'unknown') as period_type
from unioned
where period_end is not null
