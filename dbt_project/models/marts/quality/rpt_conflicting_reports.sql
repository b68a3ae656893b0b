{#
    Figures that current reports disagree on (数据冲突): a project, or an indicator of an area, that
    two current ledgers (or one ledger twice) report for the same period with different values.
    One row per subject × period × measure × other report. The facts use the first report
    (report_rank 1, the most recently loaded); this table names it, the other and both values, so
    a person settles the difference instead of the load order settling it unseen. Listed in every
    run report and on the 数据质量 dashboard. A value one report leaves empty is no conflict.
#}

{% set investment_measures = ['total_investment', 'annual_plan', 'period_completed', 'ytd_completed',
                              'since_start_completed'] %}
{% set indicator_measures = ['target_value', 'actual_value'] %}

with

investment_reports as (

    select * from {{ ref('int_investment_lines_resolved') }}
    where reports_in_period > 1

),

indicator_reports as (

    select * from {{ ref('int_indicator_values_normalised') }}
    where reports_in_period > 1

),

investment_pairs as (

    select
        used.project_key as subject_key,
        used.project_name as subject_name,
        used.area_name,
        used.report_period_start as period_start,
        used.report_period_end as period_end,
        {% for m in investment_measures %}
        used.{{ m }}_wan as used_{{ m }},
        other.{{ m }}_wan as other_{{ m }},
        {% endfor %}
        used.load_id as load_id_used,
        used.source_file as source_file_used,
        used.source_sheet as source_sheet_used,
        used.source_row as source_row_used,
        other.load_id as load_id_other,
        other.source_file as source_file_other,
        other.source_sheet as source_sheet_other,
        other.source_row as source_row_other
    from investment_reports as used
    inner join investment_reports as other
        on used.project_key = other.project_key
        and used.report_period_end = other.report_period_end
    where used.report_rank = 1
      and other.report_rank > 1

),

indicator_pairs as (

    select
        concat(used.indicator_code, '|', coalesce(used.area_name, '')) as subject_key,
        used.indicator_name as subject_name,
        used.area_name,
        used.period_start,
        used.period_end,
        {% for m in indicator_measures %}
        used.{{ m }} as used_{{ m }},
        other.{{ m }} as other_{{ m }},
        {% endfor %}
        used.load_id as load_id_used,
        used.source_file as source_file_used,
        used.source_sheet as source_sheet_used,
        used.source_row as source_row_used,
        other.load_id as load_id_other,
        other.source_file as source_file_other,
        other.source_sheet as source_sheet_other,
        other.source_row as source_row_other
    from indicator_reports as used
    inner join indicator_reports as other
        on used.indicator_code = other.indicator_code
        and used.area_name is not distinct from other.area_name
        and used.period_start is not distinct from other.period_start
        and used.period_end is not distinct from other.period_end
    where used.report_rank = 1
      and other.report_rank > 1

),

conflicts as (

    {% for m in investment_measures %}
    select
        'investment' as ledger_type, subject_key, subject_name, area_name, period_start, period_end,
        '{{ m }}' as measure,
        cast(used_{{ m }} as decimal(20, 6)) as value_used,
        cast(other_{{ m }} as decimal(20, 6)) as value_other,
        load_id_used, source_file_used, source_sheet_used, source_row_used,
        load_id_other, source_file_other, source_sheet_other, source_row_other
    from investment_pairs
    where abs(used_{{ m }} - other_{{ m }}) > {{ var('amount_tolerance_wan') }}
    union all
    {% endfor %}
    {% for m in indicator_measures %}
    select
        'indicator' as ledger_type, subject_key, subject_name, area_name, period_start, period_end,
        '{{ m }}' as measure,
        cast(used_{{ m }} as decimal(20, 6)) as value_used,
        cast(other_{{ m }} as decimal(20, 6)) as value_other,
        load_id_used, source_file_used, source_sheet_used, source_row_used,
        load_id_other, source_file_other, source_sheet_other, source_row_other
    from indicator_pairs
    where abs(used_{{ m }} - other_{{ m }}) > 0.000001
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

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
