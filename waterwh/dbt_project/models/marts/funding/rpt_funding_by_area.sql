{#
    The same funding position per report period × area × fund level × programme (the area of each
    line as in fct_funding_flow): what the dashboards read, so a district's user sees its own.
#}

{{ funding_position(ref('fct_funding_flow'), ['report_period_end', 'area_code', 'area_name', 'fund_level', 'fund_program']) }}
