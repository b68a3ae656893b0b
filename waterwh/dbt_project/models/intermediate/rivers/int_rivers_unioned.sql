{#
    Every river, lake, reservoir or canal named in a patrol, 四乱 or enforcement ledger, with the
    area it is most often reported in and its water-body type guessed from the name's suffix.
#}

with

patrols as (select * from {{ ref('stg_ledgers__patrols') }}),
river_issues as (select * from {{ ref('stg_ledgers__river_issues') }}),
enforcement_cases as (select * from {{ ref('stg_ledgers__enforcement_cases') }}),

mentions as (

    select river_name, area_name, patrol_date as seen_date from patrols
    union all
    select river_name, area_name, found_date from river_issues
    union all
    select river_name, area_name, found_date from enforcement_cases

),

named as (

    select * from mentions where river_name is not null

)

select
    {{ surrogate_key(['river_name']) }} as river_key,
    river_name,
    case
        when {{ regex_like('river_name', '水库$') }} then 'reservoir'
        when {{ regex_like('river_name', '(运河|渠|干渠|支渠)$') }} then 'canal'
        when {{ regex_like('river_name', '(湖|海|荡|淀|泊)$') }} then 'lake'
        else 'river'
    end as water_body_type,
    {{ stable_mode("area_name") }} as area_name,
    min(seen_date) as first_seen_date,
    max(seen_date) as last_seen_date,
    count(*) as mention_count
from named
group by river_name
