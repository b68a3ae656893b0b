with

source as (

    select * from {{ source('ledgers', 'patrol_log') }}

),

renamed as (

    select
        -- lineage
        {{ lineage_columns() }},

        -- identifiers and attributes
        {{ clean_text('seq_no') }} as seq_no,
        {{ clean_name('chief_name') }} as chief_name,
        -- a patrol log without a level column: unknown (未注明), never guessed
        coalesce(chief_level, 'unknown') as chief_level,
        {{ clean_name('river_name') }} as river_name,
        {{ clean_text('segment') }} as segment,
        {{ clean_name('admin_area') }} as area_name,
        patrol_date,

        -- measures
        duration_min,
        distance_km,
        issues_found,
        issues_found_qualifier,
        {{ clean_text('issue_type') }} as issue_type,

        -- handling
        handling_status,
        closed_date,
        {{ clean_text('remarks') }} as remarks,

        {{ is_total_label('chief_name') }} or {{ is_total_label('seq_no') }} as is_total_label_row

    from source

)

select * from renamed
