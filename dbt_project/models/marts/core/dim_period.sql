with

periods as (

    select * from {{ ref('int_periods_unioned') }}

),

described as (

    select
        period_key,
        period_type,
        period_start,
        period_end,
        year(period_end) as period_year,
        month(period_end) as period_month,
        dayofmonth(period_end) as period_end_day,
        dayofmonth(last_day(period_end)) as days_in_end_month,
        period_end = last_day(period_end) as is_month_end,
        {{ elapsed_share_of_year('period_end') }} as elapsed_share_of_year,
        case
            when period_type = 'month'
                then strftime(period_end, '%Y年%-m月')
            when period_type in ('ytd', 'as_of') and period_end = last_day(period_end)
                    and period_start = date_trunc('year', period_end)
                then strftime(period_end, '%Y年1-%-m月')
            when period_type in ('ytd', 'as_of')
                then strftime(period_end, '截至%Y年%-m月%-d日')
            when period_type = 'quarter'
                then strftime(period_end, '%Y年') || '第' || quarter(period_end) || '季度'
            when period_type = 'half' and month(period_end) = 6
                then strftime(period_end, '%Y年上半年')
            when period_type = 'half'
                then strftime(period_end, '%Y年下半年')
            when period_type = 'year'
                then strftime(period_end, '%Y年')
            when period_type = 'season'
                then year(period_start) || '-' || year(period_end) || '年冬春'
            else strftime(period_start, '%Y-%m-%d') || '~' || strftime(period_end, '%Y-%m-%d')
        end as label_zh
    from periods

)

select * from described
