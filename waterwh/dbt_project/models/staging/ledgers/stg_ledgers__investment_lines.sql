with

source as (

    select * from {{ source('ledgers', 'investment_ledger') }}

),

renamed as (

    select
        -- lineage
        {{ lineage_columns() }},

        -- identifiers and attributes
        {{ clean_text('seq_no') }} as seq_no,
        {{ clean_name('project_name') }} as project_name,
        {{ clean_name('parent_project') }} as parent_project,
        -- a sheet without an area column: the ledger's own area (its title, sheet, file or folder)
        -- and 市本级 / 县本级 (a group of the ledger's own projects) is the ledger's own area
        case
            when {{ regex_like(clean_name('admin_area'), '^[市县区]?本级$') }} then nullif(ledger_scope, '未注明')
            else coalesce({{ clean_name('admin_area') }}, nullif(ledger_scope, '未注明'))
        end as area_name,
        {{ clean_name('project_type') }} as project_type,
        construction_nature,
        priority_level,
        status,
        investment_basis,
        {{ clean_text('responsible_unit') }} as responsible_unit,

        -- amounts (万元)
        total_investment as total_investment_wan,
        annual_plan as annual_plan_wan,
        period_completed as period_completed_wan,
        ytd_completed as ytd_completed_wan,
        -- a ledger that splits it (至上年底累计 + 本年累计) and does not state the sum: the sum
        cast(coalesce(since_start_completed, before_year_completed + ytd_completed) as decimal(18, 4))
            as since_start_completed_wan,
        since_start_completed is null and before_year_completed is not null and ytd_completed is not null
            as is_since_start_summed,
        before_year_completed as before_year_completed_wan,
        -- what a clerk wrote beside or instead of an amount: 约/余 (approx), 超/以上 (gt/ge), 不足 (lt), 基本完工
        total_investment_qualifier,
        ytd_completed_qualifier,
        since_start_completed_qualifier,
        {{ clean_text('ytd_completed_text') }} as ytd_completed_text,
        {{ clean_text('since_start_completed_text') }} as since_start_completed_text,

        -- rates and progress as stated in the ledger (fractions)
        ytd_completion_rate as ytd_completion_rate_reported,
        physical_progress,
        physical_progress_qualifier,
        {{ clean_text('physical_progress_text') }} as physical_progress_text,

        -- schedule
        start_date,
        planned_finish as planned_finish_date,
        on_schedule_reported,
        {{ clean_text('delay_reason') }} as delay_reason,
        {{ clean_text('remarks') }} as remarks,

        -- light categorisation
        {{ is_total_label('project_name') }} or {{ is_total_label('seq_no') }} as is_total_label_row

    from source

)

select * from renamed
