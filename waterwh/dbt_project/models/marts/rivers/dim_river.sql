{#
    Rivers, lakes, reservoirs and canals named in the river ledgers, with their Chinese type
    label, the area they are most often reported in, and when they were first and last seen.
#}

with

rivers as (

    select * from {{ ref('int_rivers_unioned') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

)

select
    rivers.river_key,
    rivers.river_name,
    rivers.water_body_type,
    case rivers.water_body_type
        when 'reservoir' then '水库'
        when 'canal' then '运河/渠道'
        when 'lake' then '湖泊'
        else '河流'
    end as water_body_type_zh,
    area_names.area_code,
    rivers.area_name,
    rivers.first_seen_date,
    rivers.last_seen_date,
    rivers.mention_count
from rivers
left join area_names
    on rivers.area_name = area_names.reported_area_name
