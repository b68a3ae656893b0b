{#
    One row per ledger (ledger_key = type|scope|period): the load that audit.ledger_versions marks
    current. Should ingest ever mark two loads of one ledger current, the newest wins here (and the
    source test on audit.ledger_versions warns).
#}

with

ledger_versions as (

    select * from {{ ref('stg_audit__ledger_versions') }}

),

current_versions as (

    select * from ledger_versions where is_current

),

ranked as (

    select
        *,
        row_number() over (
            partition by ledger_key
            order by version_no desc nulls last, version_loaded_at desc nulls last, load_id desc
        ) as recency_rank
    from current_versions

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
from ranked
where recency_rank = 1
