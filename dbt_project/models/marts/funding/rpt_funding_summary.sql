{#
    Funding position per report period × fund level × programme: Σ allocated / received / spent
    (and drawdown) in 万元, with receipt_rate = received / allocated (到位率) and spend_rate =
    spent / received (支出率), recomputed from the sums. An amount no line reported stays NULL.
#}

with

events as (

    select * from {{ ref('fct_funding_flow') }}

),

aggregated as (

    select
        report_period_end,
        fund_level,
        fund_program,
        count(distinct funding_line_key) as line_count,
        cast(sum(amount_wan) filter (where event_type = 'allocated') as decimal(18, 4)) as allocated_wan,
        cast(sum(amount_wan) filter (where event_type = 'received') as decimal(18, 4)) as received_wan,
        cast(sum(amount_wan) filter (where event_type = 'spent') as decimal(18, 4)) as spent_wan,
        cast(sum(amount_wan) filter (where event_type = 'drawdown') as decimal(18, 4)) as drawdown_wan
    from events
    group by report_period_end, fund_level, fund_program

)

select
    report_period_end,
    fund_level,
    {{ label_zh('fund_level', 'aggregated.fund_level') }} as fund_level_zh,
    fund_program,
    line_count,
    allocated_wan,
    received_wan,
    spent_wan,
    drawdown_wan,
    {{ safe_ratio('received_wan', 'allocated_wan') }} as receipt_rate,
    {{ safe_ratio('spent_wan', 'received_wan') }} as spend_rate
from aggregated
