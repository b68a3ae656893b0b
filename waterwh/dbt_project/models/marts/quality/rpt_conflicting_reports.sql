{#
    Figures that current reports disagree on (数据冲突): a project, or an indicator of an area, that
    two current ledgers (or one ledger twice) report for the same period with different values.
    One row per subject × period × measure × other report. The facts use the first report
    (report_rank 1, the most recently loaded); this table names it, the other and both values, so
    a person settles the difference instead of the load order settling it unseen. Listed in every
    run report; a warning test. A value one report leaves empty is no conflict.
#}

{%- set sources = [
    {'ledger_type': 'investment', 'relation': ref('int_investment_lines_resolved'),
     'subject_key': 'project_key', 'subject_name': 'project_name',
     'period_start': 'report_period_start', 'period_end': 'report_period_end',
     'measures': {'total_investment': 'total_investment_wan', 'annual_plan': 'annual_plan_wan',
                  'period_completed': 'period_completed_wan', 'ytd_completed': 'ytd_completed_wan',
                  'since_start_completed': 'since_start_completed_wan'},
     'tolerance': var('amount_tolerance_wan')},
    {'ledger_type': 'indicator', 'relation': ref('int_indicator_values_normalised'),
     'subject_key': "concat(indicator_code, '|', coalesce(area_name, ''), coalesce('|' || station_name, ''))",
     'subject_name': 'indicator_name',
     'period_start': 'period_start', 'period_end': 'period_end',
     'measures': {'target_value': 'target_value', 'actual_value': 'actual_value'},
     'tolerance': 0.000001},
] -%}
{%- set lineage = ['load_id', 'source_file', 'source_sheet', 'source_row'] %}

with

reported as (

    {% for s in sources %}
    {% for measure, column in s.measures.items() %}
    select
        '{{ s.ledger_type }}' as ledger_type,
        {{ s.subject_key }} as subject_key,
        {{ s.subject_name }} as subject_name,
        area_name,
        {{ s.period_start }} as period_start,
        {{ s.period_end }} as period_end,
        '{{ measure }}' as measure,
        cast({{ column }} as decimal(20, 6)) as reported_value,
        {{ s.tolerance }} as tolerance,
        report_rank,
        {{ lineage | join(', ') }}
    from {{ s.relation }}
    where reports_in_period > 1
      and {{ column }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

conflicts as (

    select
        used.ledger_type,
        used.subject_key,
        used.subject_name,
        used.area_name,
        used.period_start,
        used.period_end,
        used.measure,
        used.reported_value as value_used,
        other.reported_value as value_other,
        {% for column in lineage %}
        used.{{ column }} as {{ column }}_used,
        other.{{ column }} as {{ column }}_other{% if not loop.last %},{% endif %}
        {% endfor %}
    from reported as used
    inner join reported as other
        on used.ledger_type = other.ledger_type
        and used.subject_key = other.subject_key
        and used.period_end is not distinct from other.period_end
        and (used.ledger_type = 'investment' or used.period_start is not distinct from other.period_start)
        and used.measure = other.measure
    where used.report_rank = 1
      and other.report_rank > 1
      and abs(used.reported_value - other.reported_value) > used.tolerance

)

select
    ledger_type,
    {{ label_zh('ledger_type', 'conflicts.ledger_type') }} as ledger_type_zh,
    subject_key,
    subject_name,
    area_name,
    period_start,
    period_end,
    measure,
    {{ label_zh('measure', 'conflicts.measure') }} as measure_zh,
    value_used,
    value_other,
    load_id_used,
    source_file_used,
    source_sheet_used,
    source_row_used,
    load_id_other,
    source_file_other,
    source_sheet_other,
    source_row_other
from conflicts
