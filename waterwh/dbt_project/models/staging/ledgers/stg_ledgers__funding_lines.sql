with

source as (

    select * from {{ source('ledgers', 'funding_ledger') }}

),

renamed as (

    select
        -- lineage
        {{ lineage_columns() }},

        -- identifiers and attributes
        {{ clean_text('seq_no') }} as seq_no,
        fund_level,
        {{ clean_name('fund_program') }} as fund_program,
        {{ clean_name('project_name') }} as project_name,
        {{ clean_text('doc_no') }} as doc_no,
        bond_type,

        -- amounts in 万元 CNY
        allocated_amount as allocated_amount_wan,
        received_amount as received_amount_wan,
        spent_amount as spent_amount_wan,

        -- original currency (amount_original in currency units, e.g. 元 EUR; fx_rate CNY per unit)
        coalesce(upper(currency), 'CNY') as currency,
        amount_original,
        fx_rate,

        -- dates
        allocated_date,
        received_date,
        drawdown_date,

        {{ clean_text('remarks') }} as remarks,

        -- light categorisation: a 分类小计 row has a level but no programme; 合计/小计/其中 labels
        fund_program is null
            or {{ is_total_label('fund_program') }}
            or {{ is_total_label('fund_level') }}
            or {{ is_total_label('seq_no') }} as is_total_label_row

    from source

)

select * from renamed
