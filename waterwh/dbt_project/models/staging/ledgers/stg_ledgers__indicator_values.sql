with

source as (

    select * from {{ source('ledgers', 'indicator_ledger') }}

),

renamed as (

    select
        -- lineage
        {{ lineage_columns() }},

        -- identifiers and attributes
        {{ clean_text('seq_no') }} as seq_no,
        {{ clean_name('indicator_name') }} as indicator_name,
        {{ clean_name('unit') }} as unit,
        {{ clean_name('admin_area') }} as area_name,
        {{ clean_name('station') }} as station_name,
        sample_date,

        -- values in the row's unit
        target_value,
        target_value_qualifier,
        {{ clean_text('target_value_text') }} as target_value_text,
        actual_value,
        actual_value_qualifier,
        {{ clean_text('actual_value_text') }} as actual_value_text,
        completion_rate as completion_rate_reported,
        yoy_pct,
        rank,
        rank_of,

        -- statistical period of the value: as stated, else a monitoring record's sampling day,
        -- else the ledger's period
        {{ clean_text('stat_period_label') }} as stat_period_label,
        coalesce(stat_period_start, sample_date, report_period_start) as stat_period_start,
        coalesce(stat_period_end, sample_date, report_period_end) as stat_period_end,
        coalesce(stat_period_type, case when sample_date is not null then 'day' end, period_type) as stat_period_type,

        {{ clean_text('remarks') }} as remarks,

        {{ is_total_label('indicator_name') }} or {{ is_total_label('seq_no') }} as is_total_label_row

    from source

)

select * from renamed
