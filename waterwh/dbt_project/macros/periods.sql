{#
    序时进度: the share of the calendar year elapsed at `date_column`.
    A month-end counts whole months (30 Sept → 9/12 = 0.75); any other day counts the elapsed
    part of its month: (month - 1 + day / days_in_month) / 12.
#}
{% macro elapsed_share_of_year(date_column) -%}
    cast(round(
        case
            when {{ date_column }} = last_day({{ date_column }})
                then month({{ date_column }}) / 12.0
            else (month({{ date_column }}) - 1
                  + dayofmonth({{ date_column }}) / cast(dayofmonth(last_day({{ date_column }})) as double)
                 ) / 12.0
        end, 6) as decimal(18, 6))
{%- endmacro %}
