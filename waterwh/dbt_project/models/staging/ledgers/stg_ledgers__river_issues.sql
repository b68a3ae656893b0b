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
        -- a list without 问题编号 (many 清四乱 lists have none): the issue is its river, date, type and
        -- description, so a key made from them finds it again in the next month's list
        coalesce(
            {{ clean_name('issue_id') }},
            'H' || left({{ surrogate_key(['river_name', 'found_date', 'category', 'remarks']) }}, 12)
        ) as issue_id,
        {{ clean_name('issue_id') }} is not null as is_issue_id_stated,
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
