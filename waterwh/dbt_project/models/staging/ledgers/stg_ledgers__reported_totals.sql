with

source as (

    select * from {{ source('ledgers', 'reported_totals') }}

),

renamed as (

    select
        -- lineage
        load_id,
        ledger_key,
        ledger_type,
        source_file,
        source_sheet,
        source_row,
        report_period_end,

        -- the stated total
        row_kind,
        {{ clean_text('label') }} as label,
        measure,
        reported_value,
        covers_from_row,
        covers_to_row

    from source

)

select * from renamed
