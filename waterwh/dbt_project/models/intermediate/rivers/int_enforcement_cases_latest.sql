{#
    Water-law enforcement cases of current ledger versions as an accumulating snapshot: one row per
    case_no from its latest report. filed / closed are true when the ledger says so or when it
    gives a 立案 / 结案 date; a case in the ledger counts as handled (处理) unless it says 否.
#}

with

ranked as (

    {{ latest_reports('stg_ledgers__enforcement_cases', 'case_no') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

)

select
    ranked.case_no,
    case when ranked.river_name is not null then {{ surrogate_key(['ranked.river_name']) }} end as river_key,
    area_names.area_code,
    ranked.violation_type,
    ranked.found_date,
    ranked.river_name,
    ranked.area_name,
    ranked.discovery_channel,
    coalesce(ranked.handled, true) as handled,
    coalesce(ranked.filed, ranked.filed_date is not null) as filed,
    coalesce(ranked.closed, ranked.closed_date is not null) as closed,
    ranked.filed_date,
    ranked.closed_date,
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
