{#
    Every name a project is known by → its project_key: the canonical name, the names ledgers
    wrote for it, and the aliases of the seed project_aliases. One row per alias name × project
    (a name can point to several projects when it is reported in several areas).
#}

with

lines as (

    select * from {{ ref('int_investment_lines_resolved') }}
    where report_rank = 1

),

aliases as (

    select
        {{ clean_name('alias_name') }} as alias_name,
        {{ clean_name('canonical_name') }} as canonical_name
    from {{ ref('project_aliases') }}

),

projects as (

    select distinct project_key, project_name, reported_project_name from lines

),

names as (

    select project_name as alias_name, project_key, project_name, 'canonical' as alias_source, 1 as source_rank
    from projects
    union all
    select reported_project_name, project_key, project_name, 'reported', 2
    from projects
    union all
    select aliases.alias_name, projects.project_key, projects.project_name, 'seed', 3
    from aliases
    inner join projects
        on aliases.canonical_name = projects.project_name

),

ranked as (

    select
        *,
        row_number() over (partition by alias_name, project_key order by source_rank, project_name) as name_rank
    from names

)

select
    alias_name,
    project_key,
    project_name as canonical_name,
    alias_source
from ranked
where name_rank = 1
