{#
    Every total a ledger states (合计 / 小计 / group / 其中 rows, raw.reported_totals), one row each,
    next to the value recomputed from the data rows it covers (int_reported_totals_recomputed), and
    whether its load is still the current version of its ledger. A mismatch is data to report, not
    a failure.
#}

with

recomputed as (

    select * from {{ ref('int_reported_totals_recomputed') }}

),

current_versions as (

    select * from {{ ref('int_ledger_versions_current') }}

)

select
    -- keys
    recomputed.reported_total_key,

    -- where the total is stated
    recomputed.source_file,
    recomputed.source_sheet,
    recomputed.source_row,
    recomputed.row_kind,
    recomputed.label,

    -- the total and its recomputation
    recomputed.measure,
    recomputed.reported_value,
    recomputed.computed_value,
    recomputed.difference,
    recomputed.tolerance,
    recomputed.covered_row_count,
    recomputed.covers_from_row,
    recomputed.covers_to_row,
    recomputed.matches,

    -- lineage
    recomputed.ledger_type,
    recomputed.report_period_end,
    recomputed.ledger_key,
    recomputed.load_id,
    current_versions.load_id is not null as is_current_version
from recomputed
left join current_versions
    on recomputed.load_id = current_versions.load_id
    and recomputed.ledger_key = current_versions.ledger_key
