{#
    The latest reported attributes of every project (the report with the latest period end,
    then the latest load). Input of the SCD2 snapshot snap_project: only slowly changing
    attributes belong here, never per-period measures.
#}

with

lines as (

    select * from {{ ref('int_investment_lines_resolved') }}
    where report_rank = 1

),

ranked as (

    select
        *,
        {{ latest_report_rank('project_key', row_order='asc') }} as recency_rank
    from lines

)

select
    project_key,
    project_name,
    reported_project_name,
    parent_project,
    area_code,
    area_name,
    project_type,
    construction_nature,
    priority_level,
    status,
    total_investment_wan,
    investment_basis,
    responsible_unit,
    start_date,
    planned_finish_date,
    is_anonymised
from ranked
where recency_rank = 1
