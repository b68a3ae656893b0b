{#
    Investment ledger rows of current ledger versions, with the project identity resolved:
    - canonical project name through the alias seed;
    - area name → area code (known or synthetic);
    - project_key = md5(canonical name | area code), plus the 大项 and 序号 for masked names
      ("XXX水库" stands for four different reservoirs in one ledger);
    - the delay-reason categories of the row's 滞后原因 text.
    When two current ledgers (or two rows of one) report the same project for the same period,
    report_rank orders them, the most recently loaded first, and reports_in_period says how many
    there were: the facts use report_rank 1, rpt_conflicting_reports lists where the others' figures
    differ. source_row_hash fingerprints the row for the incremental fact.
#}

with

lines as (

    {{ current_data_rows(
        ref('stg_ledgers__investment_lines'),
        ref('int_ledger_versions_current'),
        ref('stg_ledgers__reported_totals')
    ) }}

),

project_names as (

    select * from {{ ref('int_project_names_resolved') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

),

delay_reasons as (

    select * from {{ ref('int_delay_reasons_categorised') }}

),

data_lines as (

    select * from lines
    where not is_total_label_row
      and project_name is not null

),

resolved as (

    select
        data_lines.*,
        project_names.canonical_name,
        project_names.is_anonymised,
        area_names.area_code,
        delay_reasons.delay_reason_category as delay_reason_category_matched,
        delay_reasons.delay_reason_categories
    from data_lines
    left join project_names
        on data_lines.project_name = project_names.reported_name
    left join area_names
        on data_lines.area_name = area_names.reported_area_name
    left join delay_reasons
        on data_lines.delay_reason = delay_reasons.delay_reason

),

keyed as (

    select
        case
            when is_anonymised
                then {{ surrogate_key(['canonical_name', 'area_code', 'parent_project', 'seq_no']) }}
            else {{ surrogate_key(['canonical_name', 'area_code']) }}
        end as project_key,
        *
    from resolved

),

ranked as (

    select
        *,
        {{ newest_report_rank('project_key, report_period_end') }} as report_rank,
        count(*) over (partition by project_key, report_period_end) as reports_in_period
    from keyed

),

final as (

    select
        -- keys
        project_key,
        area_code,

        -- project attributes as reported in this period
        canonical_name as project_name,
        project_name as reported_project_name,
        parent_project,
        area_name,
        priority_level,
        construction_nature,
        project_type,
        status,
        investment_basis,
        responsible_unit,
        is_anonymised,
        seq_no,

        -- period
        report_period_start,
        report_period_end,
        period_type,

        -- amounts (万元)
        total_investment_wan,
        annual_plan_wan,
        period_completed_wan,
        ytd_completed_wan,
        since_start_completed_wan,

        -- progress and schedule as stated
        ytd_completion_rate_reported,
        physical_progress,
        physical_progress_qualifier,
        physical_progress_text,
        start_date,
        planned_finish_date,
        on_schedule_reported,

        -- delay
        delay_reason,
        delay_reason_category_matched,
        delay_reason_categories,

        -- lineage
        load_id,
        ledger_key,
        ledger_scope,
        ledger_version_no,
        ledger_loaded_at,
        source_file,
        source_sheet,
        source_row,
        reports_in_period,
        report_rank
    from ranked

)

select
    *,
    {{ row_fingerprint('final') }} as source_row_hash
from final
