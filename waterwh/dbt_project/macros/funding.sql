{#
    Funding position of fct_funding_flow's events grouped by `group_by` (columns of the fact):
    allocated / received / spent / drawdown sums in 万元, the funding lines counted, and
    receipt_rate = received / allocated (到位率), spend_rate = spent / received (支出率) recomputed
    from the sums. rpt_funding_summary and rpt_funding_by_area differ only in `group_by`.
#}
{% macro funding_position(events, group_by) -%}
with

aggregated as (

    select
        {{ group_by | join(',\n        ') }},
        count(distinct funding_line_key) as line_count,
        cast(sum(amount_wan) filter (where event_type = 'allocated') as decimal(18, 4)) as allocated_wan,
        cast(sum(amount_wan) filter (where event_type = 'received') as decimal(18, 4)) as received_wan,
        cast(sum(amount_wan) filter (where event_type = 'spent') as decimal(18, 4)) as spent_wan,
        cast(sum(amount_wan) filter (where event_type = 'drawdown') as decimal(18, 4)) as drawdown_wan
    from {{ events }}
    group by {{ group_by | join(', ') }}

)

select
    {{ group_by | join(',\n    ') }},
    {{ label_zh('fund_level', 'aggregated.fund_level') }} as fund_level_zh,
    line_count,
    allocated_wan,
    received_wan,
    spent_wan,
    drawdown_wan,
    {{ metric_over_sums('receipt_rate') }} as receipt_rate,
    {{ metric_over_sums('spend_rate') }} as spend_rate
from aggregated
{%- endmacro %}
