{#
    Funding ledger lines of current ledger versions, unpivoted into one row per money event:
    - allocated (下达), received (到位), spent (支出): from the 万元 CNY columns when filled, dated by
      the line's own date column (allocated_date, received_date) or else the report period end;
      amount_original is the same amount in 元 CNY (× 10000), fx_rate 1;
    - drawdown (提款): for loan lines in a foreign currency, from amount_original (currency units)
      × fx_rate (CNY per unit) / 10000 → 万元, dated by drawdown_date, keeping amount and currency.
    Group and subtotal rows (中央资金 above its programmes, 合计) never become events: ingest keeps
    them in raw.reported_totals, and any row still labelled as a total is dropped here too.
#}

{%- set line_columns = ['funding_line_key', 'funding_source_key', 'fund_level', 'fund_program', 'bond_type', 'canonical_project_name', 'project_name', 'doc_no', 'report_period_start', 'report_period_end', 'period_type', 'load_id', 'ledger_key', 'ledger_scope', 'ledger_version_no', 'source_file', 'source_sheet', 'source_row'] %}

with

lines as (

    {{ current_data_rows(
        ref('stg_ledgers__funding_lines'),
        ref('int_ledger_versions_current'),
        ref('stg_ledgers__reported_totals')
    ) }}

),

project_names as (

    select * from {{ ref('int_project_names_resolved') }}

),

data_lines as (

    select
        {{ surrogate_key(['lines.load_id', 'lines.source_sheet', 'lines.source_row']) }} as funding_line_key,
        {{ surrogate_key(['lines.fund_level', 'lines.fund_program']) }} as funding_source_key,
        lines.*,
        project_names.canonical_name as canonical_project_name
    from lines
    left join project_names
        on lines.project_name = project_names.reported_name
    where not lines.is_total_label_row

),

{#- each event names its columns: a union by position must line up on every engine #}
{%- for event_type, amount_column, date_column in [
        ('allocated', 'allocated_amount_wan', 'allocated_date'),
        ('received', 'received_amount_wan', 'received_date'),
        ('spent', 'spent_amount_wan', none)] %}
{{ event_type }} as (

    select
        {{ line_columns | join(', ') }},
        '{{ event_type }}' as event_type,
        {{ date_column if date_column else 'cast(null as date)' }} as event_date_stated,
        {{ amount_column }} as event_amount_wan,
        cast({{ amount_column }} * 10000 as decimal(22, 4)) as event_amount_original,
        'CNY' as event_currency,
        cast(1 as decimal(18, 6)) as event_fx_rate
    from data_lines
    where {{ amount_column }} is not null

),

{% endfor -%}

drawdowns as (

    select
        {{ line_columns | join(', ') }},
        'drawdown' as event_type,
        drawdown_date as event_date_stated,
        cast(round(amount_original * fx_rate / 10000, 4) as decimal(18, 4)) as event_amount_wan,
        cast(round(amount_original, 4) as decimal(22, 4)) as event_amount_original,
        currency as event_currency,
        cast(round(fx_rate, 6) as decimal(18, 6)) as event_fx_rate
    from data_lines
    where fund_level = 'loan'
      and currency <> 'CNY'
      and amount_original is not null

),

events as (

    select * from allocated
    union all
    select * from received
    union all
    select * from spent
    union all
    select * from drawdowns

)

select
    -- keys
    {{ surrogate_key(['funding_line_key', 'event_type']) }} as funding_event_key,
    funding_line_key,
    funding_source_key,

    -- the line
    fund_level,
    fund_program,
    bond_type,
    coalesce(canonical_project_name, project_name) as project_name,
    project_name as reported_project_name,
    doc_no,

    -- the event
    event_type,
    coalesce(event_date_stated, report_period_end) as event_date,
    event_date_stated is not null as is_event_date_stated,
    event_amount_original as amount_original,
    event_currency as currency,
    event_fx_rate as fx_rate,
    cast(event_amount_wan as decimal(18, 4)) as amount_wan,

    -- period and lineage
    report_period_start,
    report_period_end,
    period_type,
    load_id,
    ledger_key,
    ledger_scope,
    ledger_version_no,
    source_file,
    source_sheet,
    source_row
from events
