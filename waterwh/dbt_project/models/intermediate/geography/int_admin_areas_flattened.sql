{#
    The known administrative areas (seed admin_areas) with their ancestors' names and codes, and
    the name variants a clerk may write for each: "城关镇", "青溪县城关镇", "云溪市青溪县城关镇".
#}

with

areas as (

    select
        cast(area_code as {{ dbt.type_string() }}) as area_code,
        {{ clean_name('area_name') }} as area_name,
        area_level,
        cast(parent_area_code as {{ dbt.type_string() }}) as parent_area_code
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

-- ancestors are contiguous (an area without a parent has no grandparent), so the chain from the
-- root is the non-NULL names in order; concat_ws skips NULLs on every engine
chains as (

    select
        *,
        coalesce(great_grandparent_area_code, grandparent_area_code, parent_area_code, area_code)
            as root_area_code,
        coalesce(great_grandparent_area_name, grandparent_area_name, parent_area_name, area_name)
            as root_area_name,
        case
            when great_grandparent_area_code is not null then 4
            when grandparent_area_code is not null then 3
            when parent_area_code is not null then 2
            else 1
        end as depth
    from with_ancestors

)

select
    area_code,
    area_name,
    area_level,
    parent_area_code,
    parent_area_name,
    concat_ws('', great_grandparent_area_name, grandparent_area_name, parent_area_name, area_name)
        as full_name,
    -- the ancestor at each depth from the root (NULL where the area is above that level)
    root_area_code as province_code,
    root_area_name as province_name,
    case depth when 2 then area_code when 3 then parent_area_code when 4 then grandparent_area_code end
        as prefecture_code,
    case depth when 2 then area_name when 3 then parent_area_name when 4 then grandparent_area_name end
        as prefecture_name,
    case depth when 3 then area_code when 4 then parent_area_code end as county_code,
    case depth when 3 then area_name when 4 then parent_area_name end as county_name,
    case depth when 4 then area_code end as township_code,
    case depth when 4 then area_name end as township_name,
    -- names that identify this area besides its own and its full name: prefixed by 1 or 2 ancestors
    case when parent_area_name is not null then parent_area_name || area_name end
        as name_with_parent,
    case when grandparent_area_name is not null then grandparent_area_name || parent_area_name || area_name end
        as name_with_two_ancestors
from chains
