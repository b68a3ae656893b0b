{#
    Projects with their SCD2 history (from snapshot snap_project): one row per project version.
    project_key is the durable key the facts carry; project_version_key identifies one version;
    is_current marks the version in force now. Chinese labels of the enum codes are joined from
    the seed enum_labels.
#}

with

project_versions as (

{%- if tables_support_merge_and_delete() %}

    select * from {{ ref('snap_project') }}

{%- else %}

    -- no snapshot on this engine (plain Parquet tables on Spark): the latest attributes as the
    -- one current version of each project, with the columns a snapshot would add
    select
        *,
        md5(concat_ws('|', project_key, cast(current_timestamp() as {{ dbt.type_string() }}))) as dbt_scd_id,
        current_timestamp() as dbt_valid_from,
        cast(null as timestamp) as dbt_valid_to
    from {{ ref('int_projects_latest') }}

{%- endif %}

),

labels as (

    select * from {{ ref('enum_labels') }}

),

status_labels as (select code, label_zh from labels where enum_name = 'status'),
priority_labels as (select code, label_zh from labels where enum_name = 'priority_level'),
nature_labels as (select code, label_zh from labels where enum_name = 'construction_nature')

select
    -- keys
    project_versions.dbt_scd_id as project_version_key,
    project_versions.project_key,
    project_versions.area_code,

    -- attributes
    project_versions.project_name,
    project_versions.reported_project_name,
    project_versions.parent_project,
    project_versions.area_name,
    project_versions.project_type,
    project_versions.construction_nature,
    nature_labels.label_zh as construction_nature_zh,
    project_versions.priority_level,
    priority_labels.label_zh as priority_level_zh,
    project_versions.status,
    status_labels.label_zh as status_zh,
    project_versions.total_investment_wan,
    project_versions.investment_basis,
    project_versions.responsible_unit,
    project_versions.start_date,
    project_versions.planned_finish_date,
    project_versions.is_anonymised,

    -- SCD2 validity
    project_versions.dbt_valid_from as valid_from,
    project_versions.dbt_valid_to as valid_to,
    project_versions.dbt_valid_to is null as is_current
from project_versions
left join status_labels
    on project_versions.status = status_labels.code
left join priority_labels
    on project_versions.priority_level = priority_labels.code
left join nature_labels
    on project_versions.construction_nature = nature_labels.code
