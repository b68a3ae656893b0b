{#
    Components sum to totals: within each report period, the groups of every grouping add up to the
    'all' row (counts exactly, amounts within 0.01 万元), and the 'all' row equals the fact's totals.
#}

with

summary as (

    select * from {{ ref('rpt_investment_summary') }}

),

snapshots as (

    select * from {{ ref('fct_investment_snapshot') }}

),

by_grouping as (

    select
        report_period_end,
        grouping,
        sum(project_count) as project_count,
        sum(started_count) as started_count,
        sum(on_schedule_count) as on_schedule_count,
        sum(behind_schedule_count) as behind_schedule_count,
        coalesce(sum(total_investment_wan), 0) as total_investment_wan,
        coalesce(sum(annual_plan_wan), 0) as annual_plan_wan,
        coalesce(sum(ytd_completed_wan), 0) as ytd_completed_wan
    from summary
    group by report_period_end, grouping

),

from_facts as (

    select
        report_period_end,
        'facts' as grouping,
        count(*) as project_count,
        count(*) filter (where is_started) as started_count,
        count(*) filter (where on_schedule) as on_schedule_count,
        count(*) filter (where on_schedule = false) as behind_schedule_count,
        coalesce(sum(total_investment_wan), 0) as total_investment_wan,
        coalesce(sum(annual_plan_wan), 0) as annual_plan_wan,
        coalesce(sum(ytd_completed_wan), 0) as ytd_completed_wan
    from snapshots
    group by report_period_end

),

compared as (

    select * from by_grouping
    union all
    select * from from_facts

),

all_rows as (

    select * from by_grouping where grouping = 'all'

)

select compared.*
from compared
left join all_rows
    on compared.report_period_end = all_rows.report_period_end
where all_rows.report_period_end is null
   or compared.project_count <> all_rows.project_count
   or compared.started_count <> all_rows.started_count
   or compared.on_schedule_count <> all_rows.on_schedule_count
   or compared.behind_schedule_count <> all_rows.behind_schedule_count
   or abs(compared.total_investment_wan - all_rows.total_investment_wan) > 0.01
   or abs(compared.annual_plan_wan - all_rows.annual_plan_wan) > 0.01
   or abs(compared.ytd_completed_wan - all_rows.ytd_completed_wan) > 0.01
