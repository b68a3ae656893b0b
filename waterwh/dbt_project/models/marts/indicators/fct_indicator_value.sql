{#
    Indicator values (current ledger versions): one row per indicator × area × statistical
    period as reported (× station, for monitoring records) (of several reports of one, the most recently loaded: see
    rpt_conflicting_reports). Monetary values are in 万元; other values keep their unit. achievement_rate
    is direction-aware (see int_indicator_values_normalised).
#}

with

indicator_values as (

    select * from {{ ref('int_indicator_values_normalised') }}
    where report_rank = 1

)

select
    -- keys
    indicator_value_key,
    indicator_code,
    area_code,
    period_key,

    -- what, where, when
    indicator_name,
    reported_indicator_name,
    area_name,
    station_name,
    sample_date,
    period_start,
    period_end,
    period_type,
    period_label,

    -- values
    unit,
    unit_reported,
    target_value,
    actual_value,
    achievement_rate,
    direction,
    {{ label_zh('direction', 'indicator_values.direction') }} as direction_zh,
    qualifier,
    target_value_qualifier,
    target_value_text,
    actual_value_text,
    completion_rate_reported,
    yoy_pct,
    rank,
    rank_of,
    remarks,

    -- lineage
    report_period_end,
    ledger_key,
    ledger_scope,
    {{ mart_lineage() }}
from indicator_values
