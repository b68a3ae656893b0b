{#
    River-chief patrols: one row per patrol event (chief × river segment × date), current ledger
    versions, deduplicated across cumulative logs.
#}

with

patrols as (

    select * from {{ ref('int_patrols_deduplicated') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

)

select
    -- keys
    patrol_key,
    river_key,
    area_names.area_code,

    -- who, where, when
    chief_name,
    chief_level,
    {{ label_zh('chief_level', 'patrols.chief_level') }} as chief_level_zh,
    river_name,
    segment,
    area_name,
    patrol_date,

    -- measures
    duration_min,
    distance_km,
    issues_found,
    issues_found_qualifier,
    issue_type,

    -- handling
    handling_status,
    {{ label_zh('handling_status', 'patrols.handling_status') }} as handling_status_zh,
    closed_date,
    remarks,

    -- lineage
    report_period_end,
    ledger_key,
    ledger_scope,
    {{ mart_lineage() }}
from patrols
-- here, not in the incremental int_patrols_deduplicated: a new area in the seed reaches every row
left join area_names
    on patrols.area_name = area_names.reported_area_name
