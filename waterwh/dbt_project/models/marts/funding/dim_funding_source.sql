{#
    Funding sources: one row per fund level × programme seen in the funding ledgers (all loads),
    with the level's Chinese label, the bond type and currency the programme is reported with
    (the most frequent one, should lines disagree).
#}

with

lines as (

    select * from {{ ref('stg_ledgers__funding_lines') }}

),

labels as (

    select code, label_zh from {{ ref('enum_labels') }} where enum_name = 'fund_level'

),

sources as (

    select
        {{ surrogate_key(['fund_level', 'fund_program']) }} as funding_source_key,
        fund_level,
        fund_program,
        {{ stable_mode("bond_type") }} as bond_type,
        {{ stable_mode("currency") }} as currency,
        count(*) as line_count
    from lines
    where not is_total_label_row
    group by fund_level, fund_program

)

select
    sources.funding_source_key,
    sources.fund_level,
    labels.label_zh as fund_level_zh,
    sources.fund_program,
    sources.bond_type,
    sources.currency,
    sources.fund_level = 'loan' and sources.currency <> 'CNY' as is_foreign_loan,
    sources.line_count
from sources
left join labels
    on sources.fund_level = labels.code
