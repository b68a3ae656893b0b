{#
    清四乱 issues of current ledger versions as an accumulating snapshot: one row per issue_id,
    taken from the latest report (latest period end, then latest load) that lists it, so a
    rectification reported in October overwrites the open status of September.
#}

with

ranked as (

    {{ latest_reports('stg_ledgers__river_issues', 'issue_id') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

)

select
    ranked.issue_id,
    ranked.is_issue_id_stated,
    case when ranked.river_name is not null then {{ surrogate_key(['ranked.river_name']) }} end as river_key,
    area_names.area_code,
    ranked.category,
    ranked.found_date,
    ranked.river_name,
    ranked.area_name,
    ranked.discovery_channel,
    ranked.rectify_status,
    ranked.rectify_date,
    ranked.filed,
    ranked.closed,
    ranked.penalty_wan,
    ranked.remarks,
    ranked.first_reported_period_end,
    ranked.report_period_end as last_reported_period_end,
    ranked.load_id,
    ranked.ledger_key,
    ranked.ledger_scope,
    ranked.ledger_version_no,
    ranked.source_file,
    ranked.source_sheet,
    ranked.source_row
from ranked
left join area_names
    on ranked.area_name = area_names.reported_area_name
where ranked.recency_rank = 1
