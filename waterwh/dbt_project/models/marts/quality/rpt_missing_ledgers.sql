{#
    Expected ledgers that did not arrive (数据未报送): for every duty in the seed expected_ledgers,
    every period end from first_period_end in steps of its frequency, up to last_period_end or the
    latest period any current ledger reports (the warehouse's horizon), without a current ledger of
    that type, area and period end.
#}

with

duties as (

    select * from {{ ref('expected_ledgers') }}

),

received as (

    select distinct ledger_type, ledger_scope, report_period_end from {{ ref('int_ledger_versions_current') }}

),

horizon as (

    select max(report_period_end) as latest_period_end from received

),

steps as (

    select
        duties.ledger_type,
        duties.ledger_scope,
        duties.frequency,
        duties.first_period_end,
        least(coalesce(duties.last_period_end, horizon.latest_period_end), horizon.latest_period_end)
            as until_period_end,
        case duties.frequency when 'month' then 1 when 'quarter' then 3 when 'half' then 6 else 12 end
            as months_per_period
    from duties
    cross join horizon
    where horizon.latest_period_end is not null

),

expected as (

    select
        steps.ledger_type,
        steps.ledger_scope,
        steps.frequency,
        last_day(cast({{ dbt.dateadd('month', 'cast(n.k * steps.months_per_period as integer)', 'steps.first_period_end') }} as date))
            as expected_period_end,
        steps.until_period_end
    from steps
    cross join {{ integer_range(1200, 'n', 'k') }}

),

due as (

    select * from expected where expected_period_end <= until_period_end

),

last_received as (

    select ledger_type, ledger_scope, max(report_period_end) as last_received_period_end
    from received
    group by ledger_type, ledger_scope

)

select
    due.ledger_type,
    {{ label_zh('ledger_type', 'due.ledger_type') }} as ledger_type_zh,
    due.ledger_scope as area_name,
    due.frequency,
    due.expected_period_end,
    last_received.last_received_period_end
from due
left join received
    on due.ledger_type = received.ledger_type
    and due.ledger_scope = received.ledger_scope
    and due.expected_period_end = received.report_period_end
left join last_received
    on due.ledger_type = last_received.ledger_type
    and due.ledger_scope = last_received.ledger_scope
where received.report_period_end is null
