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
        -- labels built from year()/month()/day() rather than strftime: the same text on every engine
        case
            when period_type = 'month'
                then year(period_end) || '年' || month(period_end) || '月'
            when period_type = 'day'
                then year(period_end) || '年' || month(period_end) || '月' || dayofmonth(period_end) || '日'
            when period_type in ('ytd', 'as_of') and period_end = last_day(period_end)
                    and period_start = cast({{ dbt.date_trunc('year', 'period_end') }} as date)
                then year(period_end) || '年1-' || month(period_end) || '月'
            when period_type in ('ytd', 'as_of')
                then '截至' || year(period_end) || '年' || month(period_end) || '月' || dayofmonth(period_end) || '日'
            when period_type = 'quarter'
                then year(period_end) || '年第' || quarter(period_end) || '季度'
            when period_type = 'half' and month(period_end) = 6
                then year(period_end) || '年上半年'
            when period_type = 'half'
                then year(period_end) || '年下半年'
            when period_type = 'year'
                then year(period_end) || '年'
            when period_type = 'season'
                then year(period_start) || '-' || year(period_end) || '年冬春'
            else cast(period_start as {{ dbt.type_string() }}) || '~' || cast(period_end as {{ dbt.type_string() }})
        end as label_zh
    from periods

)

select * from described
