{#
    Money events of funding lines (current ledger versions): one row per funding line × event
    (allocated 下达 / received 到位 / spent 支出 / drawdown 提款). Every row satisfies
    amount_wan = amount_original × fx_rate / 10000. Funding ledgers state cumulative positions
    "截至" their period, so sum events within one report_period_end, never across periods.
    The area is the project's when the line names a known project, else the ledger's own.
#}

with

events as (

    select * from {{ ref('int_funding_events_unpivoted') }}

),

unambiguous_projects as (

    select * from {{ ref('int_project_keys_by_name') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

)

select
    -- keys
    events.funding_event_key,
    events.funding_line_key,
    events.funding_source_key,
    unambiguous_projects.project_key,

    -- the line
    events.fund_level,
    {{ label_zh('fund_level', 'events.fund_level') }} as fund_level_zh,
    events.fund_program,
    events.bond_type,
    events.project_name,
    events.reported_project_name,
    events.doc_no,
    coalesce(unambiguous_projects.area_code, ledger_areas.area_code) as area_code,
    coalesce(unambiguous_projects.area_name, events.ledger_scope) as area_name,

    -- the event
    events.event_type,
    {{ label_zh('event_type', 'events.event_type') }} as event_type_zh,
    events.event_date,
    events.is_event_date_stated,
    events.amount_original,
    events.currency,
    events.fx_rate,
    events.amount_wan,

    -- period and lineage
    events.report_period_start,
    events.report_period_end,
    events.ledger_key,
    events.ledger_scope,
    {{ mart_lineage('events') }}
from events
left join unambiguous_projects
    on events.project_name = unambiguous_projects.project_name
left join area_names as ledger_areas
    on events.ledger_scope = ledger_areas.reported_area_name
