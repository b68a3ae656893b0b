with

source as (

    select * from {{ source('audit', 'ledger_versions') }}

),

renamed as (

    select
        ledger_key,
        ledger_type,
        ledger_scope,
        report_period_end,
        load_id,
        file_name as source_file,
        sha256 as file_sha256,
        loaded_at as version_loaded_at,
        version_no,
        coalesce(is_current, false) as is_current

    from source

)

select * from renamed
