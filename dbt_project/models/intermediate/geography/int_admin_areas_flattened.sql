{#
    The known administrative areas (seed admin_areas) with their ancestors' names and codes, and
    the name variants a clerk may write for each: "城关镇", "青溪县城关镇", "云溪市青溪县城关镇".
#}

with

areas as (

    select
        cast(area_code as varchar) as area_code,
        {{ clean_name('area_name') }} as area_name,
        area_level,
        cast(parent_area_code as varchar) as parent_area_code
    from {{ ref('admin_areas') }}

),

with_ancestors as (

    select
        areas.area_code,
        areas.area_name,
        areas.area_level,
        areas.parent_area_code,
        parent.area_name as parent_area_name,
        grandparent.area_code as grandparent_area_code,
        grandparent.area_name as grandparent_area_name,
        great_grandparent.area_code as great_grandparent_area_code,
        great_grandparent.area_name as great_grandparent_area_name
    from areas
    left join areas as parent
        on areas.parent_area_code = parent.area_code
    left join areas as grandparent
        on parent.parent_area_code = grandparent.area_code
    left join areas as great_grandparent
        on grandparent.parent_area_code = great_grandparent.area_code

),

-- the chain root → self, as parallel code/name lists (root first)
chains as (

    select
        *,
        list_filter(
            [great_grandparent_area_code, grandparent_area_code, parent_area_code, area_code],
            lambda code: code is not null
        ) as code_chain,
        list_filter(
            [great_grandparent_area_name, grandparent_area_name, parent_area_name, area_name],
            lambda name: name is not null
        ) as name_chain
    from with_ancestors

)

select
    area_code,
    area_name,
    area_level,
    parent_area_code,
    parent_area_name,
    array_to_string(name_chain, '') as full_name,
    -- the ancestor at each level (NULL where the area is above that level)
    case when len(code_chain) >= 1 then code_chain[1] end as province_code,
    case when len(name_chain) >= 1 then name_chain[1] end as province_name,
    case when len(code_chain) >= 2 then code_chain[2] end as prefecture_code,
    case when len(name_chain) >= 2 then name_chain[2] end as prefecture_name,
    case when len(code_chain) >= 3 then code_chain[3] end as county_code,
    case when len(name_chain) >= 3 then name_chain[3] end as county_name,
    case when len(code_chain) >= 4 then code_chain[4] end as township_code,
    case when len(name_chain) >= 4 then name_chain[4] end as township_name,
    -- names that identify this area: itself, and itself prefixed by 1, 2 or 3 ancestors
    list_distinct([
        area_name,
        array_to_string(name_chain[-2:], ''),
        array_to_string(name_chain[-3:], ''),
        array_to_string(name_chain, '')
    ]) as name_variants
from chains
