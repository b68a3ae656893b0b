with

source as (

    select * from {{ source('ledgers', 'river_issue_ledger') }}

),

renamed as (

    select
        -- lineage
        {{ lineage_columns() }},

        -- identifiers and attributes
        {{ clean_text('seq_no') }} as seq_no,
        {{ clean_name('issue_id') }} as issue_id,
        found_date,
        {{ clean_name('river_name') }} as river_name,
        {{ clean_name('admin_area') }} as area_name,
        category,
        {{ clean_text('source.source') }} as discovery_channel,

        -- lifecycle
        rectify_status,
        rectify_date,
        filed,
        closed,
        penalty as penalty_wan,
        {{ clean_text('remarks') }} as remarks,

        {{ is_total_label('issue_id') }} or {{ is_total_label('seq_no') }} as is_total_label_row

    from source

)

select * from renamed
