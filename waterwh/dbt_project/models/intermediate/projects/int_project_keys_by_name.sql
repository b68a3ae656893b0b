{#
    Canonical project name → project_key and the project's area, for ledgers that name a project
    without its area (funding, approval). Only names that identify exactly one project are listed:
    a name reported in two areas stays unlinked rather than linked to the wrong one.
#}

with

projects as (

    select * from {{ ref('int_projects_latest') }}

)

select
    project_name,
    min(project_key) as project_key,
    min(area_code) as area_code,
    min(area_name) as area_name
from projects
group by project_name
having count(*) = 1
