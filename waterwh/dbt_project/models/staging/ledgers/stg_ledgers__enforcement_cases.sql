with

source as (

    select * from {{ source('ledgers', 'enforcement_case_ledger') }}

),

renamed as (

    select
        -- lineage
        {{ lineage_columns() }},

        -- identifiers and attributes
        {{ clean_text('seq_no') }} as seq_no,
        {{ clean_name('case_no') }} as case_no,
        found_date,
        {{ clean_name('river_name') }} as river_name,
        {{ clean_name('admin_area') }} as area_name,
        {{ clean_name('violation_type') }} as violation_type,
        {{ clean_text('source.source') }} as discovery_channel,

        -- lifecycle
        handled,
        filed,
        closed,
        filed_date,
        closed_date,
        penalty as penalty_wan,
        {{ clean_text('remarks') }} as remarks,

        {{ is_total_label('case_no') }} or {{ is_total_label('seq_no') }} as is_total_label_row

    from source

)

select * from renamed
