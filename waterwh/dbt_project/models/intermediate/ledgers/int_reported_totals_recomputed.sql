{#
    Every total a ledger states (raw.reported_totals), next to the value recomputed from the data
    rows it covers: the rows of the same load and sheet whose source_row lies between
    covers_from_row and covers_to_row (an open bound covers the rest of the sheet). The measure
    names a canonical ledger column (summed), `row_count` (rows counted) or `ytd_completion_rate`
    (Σ ytd_completed / Σ annual_plan). matches is true within var('amount_tolerance_wan') = 0.01 万元
    for amounts and counts and var('rate_tolerance') = 0.5 percentage points for the rate; NULL when
    the measure cannot be recomputed.

    A stated total and the rows it covers belong to one load, and a load never changes: incremental
    on DuckDB, a night recomputes the totals of loads new to the table (rows built under other logic
    are deleted first and so recomputed, see logic_fingerprint). Whether the load is still the
    current version changes from night to night: fct_reported_total adds that. Elsewhere a table.
#}
{{ config(**incremental_by_load()) }}

with

totals as (

    select * from {{ ref('stg_ledgers__reported_totals') }}
    {% if is_incremental() %}
    where load_id not in (select load_id from {{ this }})
    {% endif %}

),

measures as (

    select measures.* from {{ ref('int_ledger_measures_unpivoted') }} as measures
    {% if is_incremental() %}
    semi join totals on measures.load_id = totals.load_id
    {% endif %}

),

keyed_totals as (

    select
        {{ surrogate_key(['load_id', 'source_sheet', 'source_row', 'measure']) }} as reported_total_key,
        *
    from totals

),

covered as (

    select
        keyed_totals.reported_total_key,
        sum(measures.measure_value) filter (where measures.measure = keyed_totals.measure) as measure_sum,
        sum(measures.measure_value) filter (where measures.measure = 'ytd_completed') as ytd_completed_sum,
        sum(measures.measure_value) filter (where measures.measure = 'annual_plan') as annual_plan_sum,
        count(distinct measures.source_row) as covered_row_count
    from keyed_totals
    inner join measures
        on keyed_totals.load_id = measures.load_id
        and keyed_totals.source_sheet is not distinct from measures.source_sheet
        and measures.source_row >= coalesce(keyed_totals.covers_from_row, -2147483648)
        and measures.source_row <= coalesce(keyed_totals.covers_to_row, 2147483647)
    group by keyed_totals.reported_total_key

),

recomputed as (

    select
        keyed_totals.*,
        coalesce(covered.covered_row_count, 0) as covered_row_count,
        case
            when keyed_totals.measure = 'ytd_completion_rate'
                then {{ safe_ratio('coalesce(covered.ytd_completed_sum, 0)', 'covered.annual_plan_sum') }}
            when keyed_totals.measure in (
                'total_investment', 'annual_plan', 'period_completed', 'ytd_completed',
                'since_start_completed', 'allocated_amount', 'received_amount', 'spent_amount',
                'amount_original', 'penalty', 'issues_found', 'duration_min', 'distance_km',
                'row_count'
            )
                then coalesce(covered.measure_sum, 0)
        end as computed_value,
        case
            when keyed_totals.measure = 'ytd_completion_rate' then {{ var('rate_tolerance') }}
            else {{ var('amount_tolerance_wan') }}
        end as tolerance
    from keyed_totals
    left join covered
        on keyed_totals.reported_total_key = covered.reported_total_key

)

select
    -- keys
    reported_total_key,

    -- where the total is stated
    source_file,
    source_sheet,
    source_row,
    row_kind,
    label,

    -- the total and its recomputation
    measure,
    reported_value,
    cast(computed_value as decimal(20, 6)) as computed_value,
    cast(reported_value - computed_value as decimal(20, 6)) as difference,
    cast(tolerance as decimal(20, 6)) as tolerance,
    covered_row_count,
    covers_from_row,
    covers_to_row,
    case
        when computed_value is null or reported_value is null then null
        else abs(reported_value - computed_value) <= tolerance
    end as matches,

    -- lineage
    ledger_type,
    report_period_end,
    ledger_key,
    load_id,
    '{{ logic_fingerprint() }}' as logic_fingerprint
from recomputed
