{#
    Components sum to totals: per report period and event type, the funding summary's amounts add
    up to the events in fct_funding_flow (within 0.01 万元).
#}

with

summary as (

    select * from {{ ref('rpt_funding_summary') }}

),

events as (

    select * from {{ ref('fct_funding_flow') }}

),

summary_totals as (

    select report_period_end, 'allocated' as event_type, coalesce(sum(allocated_wan), 0) as amount_wan from summary group by 1
    union all
    select report_period_end, 'received', coalesce(sum(received_wan), 0) from summary group by 1
    union all
    select report_period_end, 'spent', coalesce(sum(spent_wan), 0) from summary group by 1
    union all
    select report_period_end, 'drawdown', coalesce(sum(drawdown_wan), 0) from summary group by 1

),

event_totals as (

    select report_period_end, event_type, sum(amount_wan) as amount_wan
    from events
    group by report_period_end, event_type

)

select
    summary_totals.report_period_end,
    summary_totals.event_type,
    summary_totals.amount_wan as summary_wan,
    coalesce(event_totals.amount_wan, 0) as events_wan
from summary_totals
left join event_totals
    on summary_totals.report_period_end = event_totals.report_period_end
    and summary_totals.event_type = event_totals.event_type
where abs(summary_totals.amount_wan - coalesce(event_totals.amount_wan, 0)) > 0.01
