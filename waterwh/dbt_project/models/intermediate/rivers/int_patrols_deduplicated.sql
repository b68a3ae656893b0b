{{
    config(
        materialized=('incremental' if target.type == 'duckdb' else 'table'),
        unique_key='patrol_identity',
        incremental_strategy='delete+insert',
        on_schema_change='sync_all_columns',
        pre_hook=[
            "{% if is_incremental() %}{{ keep_removed_rows(this, ref('int_ledger_versions_current'), ['chief_name', 'chief_level', 'river_name', 'segment', 'patrol_date']) }}{% endif %}",
            "{% if is_incremental() %}{{ delete_removed_rows(this, ref('int_ledger_versions_current')) }}{% endif %}",
        ]
    )
}}

{#
    River-chief patrols of current ledger versions, one row per patrol event. Every row of a log
    is an event (a chief may patrol the same segment twice a day). When a cumulative log (1-5月)
    repeats patrols an earlier log already reported (same chief, level, river, segment and date),
    only the latest ledger's rows for that patrol count, so no patrol counts twice.
    patrol_identity = md5(chief, level, river, segment, date);
    patrol_key = md5(patrol_identity, n-th such patrol in its ledger).

    Incremental on DuckDB (a province holds ~2 million patrols; a night adds one month): a patrol's
    rows depend only on the current rows with its identity, so only patrols a change touched are
    ranked again: those whose rows the pre-hooks removed (their ledger version is no longer current,
    or they were built under other logic: see logic_fingerprint) and those a ledger version new to
    the table reports. Only the rows on those patrols' rivers and days are keyed (md5) and ranked;
    delete+insert replaces those patrols. Area codes are resolved in fct_patrol, so a seed change
    never leaves stale rows here. Elsewhere (Spark) a table, rebuilt each run.
#}

{#- When the pre-hooks will remove every row (a table from an older release, or logic that changed),
    every patrol is ranked at once: finding what was touched would only cost time. -#}
{%- set ranks_touched_only = is_incremental() -%}
{%- if ranks_touched_only and execute -%}
    {%- set kept = run_query(
        "select count(*) from " ~ this ~ " as held where not ("
        ~ rows_of_superseded_versions_or_logic(this, ref('int_ledger_versions_current')) ~ ")"
    ) -%}
    {%- set ranks_touched_only = kept.columns[0].values()[0] > 0 -%}
{%- endif %}

with

patrols as (

    {{ current_data_rows(
        ref('stg_ledgers__patrols'),
        ref('int_ledger_versions_current'),
        ref('stg_ledgers__reported_totals')
    ) }}

),

patrol_rows as (

    select * from patrols
    where not is_total_label_row

),

{% if ranks_touched_only %}
held_versions as (

    select distinct load_id, ledger_key from {{ this }}

),

touched as (

    select distinct
        {{ surrogate_key(['chief_name', 'chief_level', 'river_name', 'segment', 'patrol_date']) }} as patrol_identity,
        river_name,
        patrol_date
    from (
        -- patrols whose rows the pre-hooks removed
        select chief_name, chief_level, river_name, segment, patrol_date
        from temp.main.{{ this.identifier }}__removed
        union all
        -- patrols a ledger version new to this table reports
        select chief_name, chief_level, river_name, segment, patrol_date
        from patrol_rows
        anti join held_versions
            on patrol_rows.load_id = held_versions.load_id
            and patrol_rows.ledger_key = held_versions.ledger_key
    ) as touched_rows

),

candidates as (

    -- the rows on a touched patrol's river and day: only these need a key
    select patrol_rows.* from patrol_rows
    semi join (select distinct river_name, patrol_date from touched) as touched_days
        on patrol_rows.river_name is not distinct from touched_days.river_name
        and patrol_rows.patrol_date is not distinct from touched_days.patrol_date

),
{% endif %}

keyed as (

    select
        {{ surrogate_key(['chief_name', 'chief_level', 'river_name', 'segment', 'patrol_date']) }} as patrol_identity,
        candidates.*
    from {{ 'candidates' if ranks_touched_only else 'patrol_rows' }} as candidates

),

to_rank as (

    select keyed.*
    from keyed
    {% if ranks_touched_only %}
    semi join touched
        on keyed.patrol_identity = touched.patrol_identity
    {% endif %}

),

-- the latest ledger reporting a patrol wins; all its rows for that patrol are kept
latest_ledger as (

    select
        *,
        dense_rank() over (
            partition by patrol_identity
            order by report_period_end desc, ledger_loaded_at desc, load_id desc, ledger_key desc
        ) as ledger_recency_rank
    from to_rank

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
    ranked.patrol_identity,
    case when ranked.river_name is not null then {{ surrogate_key(['ranked.river_name']) }} end as river_key,
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
    ranked.source_row,
    '{{ logic_fingerprint() }}' as logic_fingerprint
from ranked
