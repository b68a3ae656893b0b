{{
    config(
        materialized=('incremental' if tables_support_merge_and_delete() else 'table'),
        unique_key=['project_key', 'report_period_end'],
        incremental_strategy=('append' if target.type == 'spark' else 'delete+insert'),
        on_schema_change='append_new_columns',
        pre_hook="{% if is_incremental() %}delete from {{ this }} where report_period_end in ({{ periods_to_reprocess(this, ref('int_investment_lines_resolved'), source_filter='report_rank = 1') }}){% endif %}"
    )
}}

{#
    Periodic snapshot: one row per project × report period, from current ledger versions only.
    Incremental: the pre-hook deletes every period whose source rows changed (see
    periods_to_reprocess); the model then inserts every period the table does not hold.
    A full refresh gives the same rows. On Spark (Delta) the strategy is append: the pre-hook
    has already deleted what changed. On plain Parquet (no DELETE) the fact is a full table.
#}

with

lines as (

    select * from {{ ref('int_investment_lines_resolved') }}
    where report_rank = 1

),

periods as (

    select * from {{ ref('dim_period') }}

),

{% if is_incremental() %}
loaded_periods as (

    select distinct report_period_end from {{ this }}

),
{% endif %}

lines_to_process as (

    select lines.*
    from lines
    {% if is_incremental() %}
    anti join loaded_periods
        on lines.report_period_end = loaded_periods.report_period_end
    {% endif %}

),

scheduled as (

    select
        lines_to_process.*,
        periods.period_key,
        periods.elapsed_share_of_year as schedule_share
    from lines_to_process
    left join periods
        on lines_to_process.report_period_end = periods.period_end
        and lines_to_process.report_period_start is not distinct from periods.period_start
        and coalesce(lines_to_process.period_type, 'unknown') = periods.period_type

),

evaluated as (

    select
        *,
        coalesce(status = 'preparatory', false)
            or coalesce(construction_nature = 'preparatory', false) as is_preparatory,
        -- a missing 年度累计 ("—") counts as nothing done yet; no plan, no rate
        {{ safe_ratio('coalesce(ytd_completed_wan, 0)', 'annual_plan_wan') }} as ytd_completion_rate,
        {{ safe_ratio('since_start_completed_wan', 'total_investment_wan') }} as since_start_completion_rate
    from scheduled

),

judged as (

    select
        *,
        case
            when is_preparatory then false
            when status is not null then status <> 'not_started'
            -- no status column: started if money has been spent on it
            else coalesce(ytd_completed_wan, 0) > 0 or coalesce(since_start_completed_wan, 0) > 0
        end as is_started,
        case
            when annual_plan_wan is null or annual_plan_wan = 0 or schedule_share is null then null
            else ytd_completion_rate >= schedule_share
        end as on_schedule
    from evaluated

),

final as (

    select
        -- keys
        project_key,
        area_code,
        period_key,

        -- project attributes as reported in the period
        project_name,
        reported_project_name,
        parent_project,
        area_name,
        priority_level,
        {{ label_zh('priority_level', 'judged.priority_level') }} as priority_level_zh,
        construction_nature,
        {{ label_zh('construction_nature', 'judged.construction_nature') }} as construction_nature_zh,
        project_type,
        status,
        {{ label_zh('status', 'judged.status') }} as status_zh,
        investment_basis,
        responsible_unit,
        is_anonymised,
        is_preparatory,
        is_started,

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

        -- rates and schedule
        ytd_completion_rate,
        since_start_completion_rate,
        schedule_share,
        cast(ytd_completion_rate - schedule_share as decimal(18, 6)) as schedule_gap,
        on_schedule,
        on_schedule_reported,
        ytd_completion_rate_reported,
        physical_progress,
        physical_progress_qualifier,
        physical_progress_text,
        start_date,
        planned_finish_date,

        -- delay (category only when behind schedule)
        delay_reason,
        case
            when on_schedule = false then coalesce(delay_reason_category_matched, 'OTHER')
        end as delay_reason_category,
        {{ delay_category_zh("case when judged.on_schedule = false then coalesce(judged.delay_reason_category_matched, 'OTHER') end") }}
            as delay_reason_category_zh,
        delay_reason_categories,

        -- lineage
        seq_no,
        ledger_key,
        ledger_scope,
        {{ mart_lineage() }},
        reports_in_period,
        source_row_hash
    from judged

)

select * from final
