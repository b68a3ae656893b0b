{#
    Every project name written in an investment, funding or approval ledger, resolved to its
    canonical name through the seed project_aliases (王莽岭旅游区… → 王莽岭景区…). Names not in the
    seed are their own canonical name. Never a substring or fuzzy match: 新通扬运河 is not 通扬运河.
#}

with

aliases as (

    select
        {{ clean_name('alias_name') }} as alias_name,
        {{ clean_name('canonical_name') }} as canonical_name
    from {{ ref('project_aliases') }}

),

investment as (select * from {{ ref('stg_ledgers__investment_lines') }}),
funding as (select * from {{ ref('stg_ledgers__funding_lines') }}),
approval_items as (select * from {{ ref('stg_ledgers__approval_items') }}),

observed_names as (

    select project_name from investment
    union
    select project_name from funding
    union
    select project_name from approval_items

)

select
    observed_names.project_name as reported_name,
    coalesce(aliases.canonical_name, observed_names.project_name) as canonical_name,
    aliases.alias_name is not null as is_alias,
    {{ is_anonymised_name('observed_names.project_name') }} as is_anonymised
from observed_names
left join aliases
    on observed_names.project_name = aliases.alias_name
where observed_names.project_name is not null
