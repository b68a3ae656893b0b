{#
    Every numeric measure of every raw data row, one row per (load, sheet, row, measure), named by
    the canonical spec column (total_investment, ytd_completed, allocated_amount, ...) as
    raw.reported_totals.measure names it, plus a `row_count` measure of 1 per data row so that
    stated counts ("合计41项") reconcile too. All loads, current or not: a stated total is checked
    against the rows of its own load. Only sheets that state a total: nothing else reads these rows,
    and a province's patrol logs (2 million rows, no 合计) made 8 of its 9 million.

    Incremental on DuckDB: a load's rows never change, so a night adds the loads new to the table
    (rows built under other logic are deleted first and so rebuilt, see logic_fingerprint). Elsewhere
    (Spark) a table.
#}
{{ config(**incremental_by_load()) }}

{#- Each ledger's staging model and the measures its stated totals can name: (measure, expression). -#}
{%- set ledgers = {
    'stg_ledgers__investment_lines': [
        ('total_investment', 'total_investment_wan'), ('annual_plan', 'annual_plan_wan'),
        ('period_completed', 'period_completed_wan'), ('ytd_completed', 'ytd_completed_wan'),
        ('since_start_completed', 'since_start_completed_wan')],
    'stg_ledgers__funding_lines': [
        ('allocated_amount', 'allocated_amount_wan'), ('received_amount', 'received_amount_wan'),
        ('spent_amount', 'spent_amount_wan'), ('amount_original', 'round(amount_original, 6)')],
    'stg_ledgers__river_issues': [('penalty', 'penalty_wan')],
    'stg_ledgers__enforcement_cases': [('penalty', 'penalty_wan')],
    'stg_ledgers__patrols': [
        ('issues_found', 'issues_found'), ('duration_min', 'duration_min'),
        ('distance_km', 'round(distance_km, 6)')],
    'stg_ledgers__indicator_values': [],
    'stg_ledgers__approval_items': [],
} -%}

with

sheets_with_totals as (

    select distinct load_id, source_sheet from {{ ref('stg_ledgers__reported_totals') }}
    {% if is_incremental() %}
    where load_id not in (select load_id from {{ this }})
    {% endif %}

),
{% for model, measures in ledgers.items() %}
{%- set name = model.split('__')[1] %}

{{ name }}_columns as (

    select
        ledger_rows.load_id, ledger_rows.source_sheet, ledger_rows.source_row,
        {%- for measure, expression in measures %}
        cast({{ expression }} as decimal(20, 6)) as {{ measure }},
        {%- endfor %}
        cast(1 as decimal(20, 6)) as row_count
    from {{ ref(model) }} as ledger_rows
    semi join sheets_with_totals
        on ledger_rows.load_id = sheets_with_totals.load_id
        and ledger_rows.source_sheet is not distinct from sheets_with_totals.source_sheet
    where not ledger_rows.is_total_label_row

),

{{ name }}_measures as (

    select * from {{ name }}_columns
    unpivot (measure_value for measure in (
        {%- for measure, _ in measures %}{{ measure }}, {% endfor %}row_count))

),
{% endfor %}

unioned as (
{% for model in ledgers %}
    {% if not loop.first %}union all{% endif %}
    select * from {{ model.split('__')[1] }}_measures
{%- endfor %}

)

select
    load_id,
    source_sheet,
    source_row,
    measure,
    measure_value,
    '{{ logic_fingerprint() }}' as logic_fingerprint
from unioned
