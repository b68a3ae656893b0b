{#
    Water-law enforcement cases as an accumulating snapshot: one row per case, as of its latest
    report. Counts that must reproduce (003, H1 2024): 处理17 = count(*) where handled, 立案6 =
    where filed, 结案6 = where closed, 罚没款7万元 = Σ penalty_wan.
#}

with

enforcement_cases as (

    select * from {{ ref('int_enforcement_cases_latest') }}

)

select
    -- keys
    case_no,
    river_key,
    area_code,

    -- the case
    violation_type,
    found_date,
    river_name,
    area_name,
    discovery_channel,

    -- lifecycle
    handled,
    filed,
    closed,
    filed_date,
    closed_date,
    penalty_wan,
    remarks,

    -- lineage
    first_reported_period_end,
    last_reported_period_end,
    ledger_key,
    ledger_scope,
    {{ mart_lineage() }}
from enforcement_cases
