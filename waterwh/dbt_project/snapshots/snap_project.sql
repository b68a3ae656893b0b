{#
    SCD2 history of project attributes (name, status, total investment, priority, ...), by the
    check strategy: every build compares the latest reported attributes with the current snapshot
    row and opens a new version when any checked column changed. Per-period measures stay in
    fct_investment_snapshot.
#}

{% snapshot snap_project %}

{{
    config(
        enabled=tables_support_merge_and_delete(),
        unique_key='project_key',
        strategy='check',
        check_cols=[
            'project_name',
            'reported_project_name',
            'parent_project',
            'area_code',
            'area_name',
            'project_type',
            'construction_nature',
            'priority_level',
            'status',
            'total_investment_wan',
            'investment_basis',
            'responsible_unit',
            'start_date',
            'planned_finish_date',
        ],
    )
}}

select * from {{ ref('int_projects_latest') }}

{% endsnapshot %}
