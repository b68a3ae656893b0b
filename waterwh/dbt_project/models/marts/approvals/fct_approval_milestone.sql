{#
    Design and approval milestones: one row per project × approval item, as of its latest report.
    is_overdue: the planned date has passed at the report date and the item is not approved.
#}

with

milestones as (

    select * from {{ ref('int_approval_items_split') }}

),

unambiguous_projects as (

    select * from {{ ref('int_project_keys_by_name') }}

)

select
    -- keys
    milestones.approval_milestone_key,
    unambiguous_projects.project_key,

    -- the milestone
    milestones.project_name,
    milestones.reported_project_name,
    milestones.item,
    milestones.reported_item,
    milestones.authority,
    milestones.status,
    {{ label_zh('approval_status', 'milestones.status') }} as status_zh,
    milestones.planned_date,
    milestones.actual_date,
    coalesce(
        milestones.planned_date < milestones.report_period_end
            and milestones.status is distinct from 'approved',
        false
    ) as is_overdue,
    milestones.approval_doc_no,
    milestones.blocker,

    -- lineage
    milestones.report_period_end,
    milestones.ledger_key,
    milestones.ledger_scope,
    {{ mart_lineage('milestones') }}
from milestones
left join unambiguous_projects
    on milestones.project_name = unambiguous_projects.project_name
