{#
    Funding position per report period × fund level × programme: Σ allocated / received / spent
    (and drawdown) in 万元, with receipt_rate = received / allocated (到位率) and spend_rate =
    spent / received (支出率), recomputed from the sums. An amount no line reported stays NULL.
#}

{{ funding_position(ref('fct_funding_flow'), ['report_period_end', 'fund_level', 'fund_program']) }}
