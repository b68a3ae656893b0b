{#
    Investment progress per report period, overall and by priority level, construction nature,
    project type and area. Rates are recomputed from the summed amounts and counts of the group,
    never averaged (their definitions: waterwh/metrics.yaml): ytd_completion_rate = Σ ytd_completed /
    Σ annual_plan; start_rate = started / non-preparatory projects (34/36 in the 2021 notice). A missing grouping value
    is reported as 'unknown'; an amount no project of the group states sums to 0.
#}

with

snapshots as (

    select * from {{ ref('fct_investment_snapshot') }}

),

grouped_rows as (

    select 'all' as grouping, 'all' as grouping_value, * from snapshots
    union all
    select 'priority_level', coalesce(priority_level, 'unknown'), * from snapshots
    union all
    select 'construction_nature', coalesce(construction_nature, 'unknown'), * from snapshots
    union all
    select 'project_type', coalesce(project_type, 'unknown'), * from snapshots
    union all
    select 'area', coalesce(area_name, 'unknown'), * from snapshots

),

aggregated as (

    select
        report_period_end,
        grouping,
        grouping_value,
        count(*) as project_count,
        count(*) filter (where is_started) as started_count,
        count(*) filter (where not is_preparatory) as non_preparatory_count,
        count(*) filter (where on_schedule) as on_schedule_count,
        count(*) filter (where on_schedule = false) as behind_schedule_count,
        cast(coalesce(sum(total_investment_wan), 0) as decimal(18, 4)) as total_investment_wan,
        cast(coalesce(sum(annual_plan_wan), 0) as decimal(18, 4)) as annual_plan_wan,
        cast(coalesce(sum(ytd_completed_wan), 0) as decimal(18, 4)) as ytd_completed_wan,
        cast(coalesce(sum(since_start_completed_wan), 0) as decimal(18, 4)) as since_start_completed_wan,
        max(schedule_share) as schedule_share
    from grouped_rows
    group by report_period_end, grouping, grouping_value

)

select
    report_period_end,
    grouping,
    grouping_value,
    project_count,
    started_count,
    non_preparatory_count,
    on_schedule_count,
    behind_schedule_count,
    total_investment_wan,
    annual_plan_wan,
    ytd_completed_wan,
    since_start_completed_wan,
    {{ metric_over_sums('ytd_completion_rate') }} as ytd_completion_rate,
    {{ metric_over_sums('start_rate') }} as start_rate,
    {{ safe_ratio('on_schedule_count', 'project_count') }} as on_schedule_rate,
    schedule_share
from aggregated
