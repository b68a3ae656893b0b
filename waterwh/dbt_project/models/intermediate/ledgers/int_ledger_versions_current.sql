{#
    The current loads of every ledger (ledger_key = type|scope|period), as audit.ledger_versions
    marks them: one row per ledger and load. A key may have several current loads when a district
    sent different ledgers of one type, area and period (ingest/versions.py decides which load
    supersedes which); facts then choose between their reports and rpt_conflicting_reports lists
    figures that disagree.
#}

with

ledger_versions as (

    select * from {{ ref('stg_audit__ledger_versions') }}

)

select
    ledger_key,
    load_id,
    ledger_type,
    ledger_scope,
    report_period_end,
    version_no,
    version_loaded_at,
    source_file,
    file_sha256
from ledger_versions
where is_current
