{#
    清四乱 issues as an accumulating snapshot: one row per issue, as of its latest report.
#}

with

river_issues as (

    select * from {{ ref('int_river_issues_latest') }}

)

select
    -- keys
    issue_id,
    is_issue_id_stated,
    river_key,
    area_code,

    -- the issue
    category,
    {{ label_zh('issue_category', 'river_issues.category') }} as category_zh,
    found_date,
    river_name,
    area_name,
    discovery_channel,

    -- lifecycle
    rectify_status,
    {{ label_zh('handling_status', 'river_issues.rectify_status') }} as rectify_status_zh,
    rectify_date,
    case when rectify_date is not null then {{ dbt.datediff('found_date', 'rectify_date', 'day') }} end as days_to_rectify,
    filed,
    closed,
    penalty_wan,
    remarks,

    -- lineage
    first_reported_period_end,
    last_reported_period_end,
    ledger_key,
    ledger_scope,
    {{ mart_lineage() }}
from river_issues
