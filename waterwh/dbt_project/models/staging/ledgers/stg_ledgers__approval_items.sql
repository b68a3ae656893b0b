with

source as (

    select * from {{ source('ledgers', 'approval_ledger') }}

),

renamed as (

    select
        -- lineage
        {{ lineage_columns() }},

        -- identifiers and attributes
        {{ clean_text('seq_no') }} as seq_no,
        {{ clean_name('project_name') }} as project_name,
        {{ clean_text('item') }} as item,
        {{ clean_text('authority') }} as authority,

        -- milestone
        status,
        planned_date,
        actual_date,
        {{ clean_text('approval_doc_no') }} as approval_doc_no,
        {{ clean_text('blocker') }} as blocker,

        {{ is_total_label('project_name') }} or {{ is_total_label('seq_no') }} as is_total_label_row

    from source

)

select * from renamed
