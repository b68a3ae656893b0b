with

known_areas as (

    select * from {{ ref('int_admin_areas_flattened') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

),

known as (

    select
        area_code,
        area_name,
        area_level,
        parent_area_code,
        parent_area_name,
        full_name,
        province_code,
        province_name,
        prefecture_code,
        prefecture_name,
        county_code,
        county_name,
        township_code,
        township_name,
        true as is_known,
        {{ is_anonymised_name('area_name') }} as is_anonymised
    from known_areas

),

unknown as (

    select
        area_code,
        reported_area_name as area_name,
        inferred_area_level as area_level,
        cast(null as {{ dbt.type_string() }}) as parent_area_code,
        cast(null as {{ dbt.type_string() }}) as parent_area_name,
        reported_area_name as full_name,
        cast(null as {{ dbt.type_string() }}) as province_code,
        cast(null as {{ dbt.type_string() }}) as province_name,
        cast(null as {{ dbt.type_string() }}) as prefecture_code,
        cast(null as {{ dbt.type_string() }}) as prefecture_name,
        cast(null as {{ dbt.type_string() }}) as county_code,
        cast(null as {{ dbt.type_string() }}) as county_name,
        cast(null as {{ dbt.type_string() }}) as township_code,
        cast(null as {{ dbt.type_string() }}) as township_name,
        false as is_known,
        is_anonymised
    from area_names
    where not is_known

)

select * from known
union all
select * from unknown
