{#
    River-chief patrols of current ledger versions, one row per patrol event. Every row of a log
    is an event (a chief may patrol the same segment twice a day). When a cumulative log (1-5月)
    repeats patrols an earlier log already reported (same chief, level, river, segment and date),
    only the latest ledger's rows for that patrol count, so no patrol counts twice.
    patrol_key = md5(chief, level, river, segment, date, n-th such patrol in its ledger).
#}

with

patrols as (

    {{ current_data_rows(
        ref('stg_ledgers__patrols'),
        ref('int_ledger_versions_current'),
        ref('stg_ledgers__reported_totals')
    ) }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

),

keyed as (

    select
        {{ surrogate_key(['chief_name', 'chief_level', 'river_name', 'segment', 'patrol_date']) }} as patrol_identity,
        patrols.*
    from patrols
    where not is_total_label_row

),

-- the latest ledger reporting a patrol wins; all its rows for that patrol are kept
latest_ledger as (

    select
        *,
        dense_rank() over (
            partition by patrol_identity
            order by report_period_end desc, ledger_loaded_at desc, load_id desc, ledger_key desc
        ) as ledger_recency_rank
    from keyed

),

ranked as (

    select
        *,
        row_number() over (partition by patrol_identity order by source_sheet, source_row) as occurrence
    from latest_ledger
    where ledger_recency_rank = 1

)

select
    {{ surrogate_key(['ranked.patrol_identity', 'ranked.occurrence']) }} as patrol_key,
    {{ surrogate_key(['ranked.river_name']) }} as river_key,
    area_names.area_code,
    ranked.chief_name,
    ranked.chief_level,
    ranked.river_name,
    ranked.segment,
    ranked.area_name,
    ranked.patrol_date,
    ranked.duration_min,
    ranked.distance_km,
    ranked.issues_found,
    ranked.issues_found_qualifier,
    ranked.issue_type,
    ranked.handling_status,
    ranked.closed_date,
    ranked.remarks,
    ranked.report_period_end,
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
