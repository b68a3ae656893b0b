{#
    Design/approval ledger rows of current ledger versions, one row per project × approval item.
    A cell listing several items ("土地预审、社稳、地灾") becomes one row per item (split on 、，,；;
    but not on "/", which joins alternatives in one item such as 林地/湿地占用). Project names are
    resolved through the alias seed. The latest report of each project × item wins.
#}

with

approval_items as (

    {{ current_data_rows(
        ref('stg_ledgers__approval_items'),
        ref('int_ledger_versions_current'),
        ref('stg_ledgers__reported_totals')
    ) }}

),

project_names as (

    select * from {{ ref('int_project_names_resolved') }}

),

split_items as (

    select
        approval_items.*,
        {{ split_to_rows('item', '[、，,；;]') }} as single_item
    from approval_items
    where not is_total_label_row

),

resolved as (

    select
        split_items.*,
        coalesce(project_names.canonical_name, split_items.project_name) as canonical_project_name,
        {{ clean_name('split_items.single_item') }} as item_name
    from split_items
    left join project_names
        on split_items.project_name = project_names.reported_name

),

ranked as (

    select
        *,
        {{ latest_report_rank('canonical_project_name, item_name') }} as recency_rank
    from resolved
    where item_name is not null
      and canonical_project_name is not null

)

select
    {{ surrogate_key(['canonical_project_name', 'item_name']) }} as approval_milestone_key,
    canonical_project_name as project_name,
    project_name as reported_project_name,
    item_name as item,
    item as reported_item,
    authority,
    status,
    planned_date,
    actual_date,
    approval_doc_no,
    blocker,
    report_period_end,
    load_id,
    ledger_key,
    ledger_scope,
    ledger_version_no,
    source_file,
    source_sheet,
    source_row
from ranked
where recency_rank = 1
