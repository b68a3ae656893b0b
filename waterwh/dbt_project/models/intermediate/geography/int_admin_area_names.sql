{#
    Every area name written in a ledger, resolved to an area code. Names of the seed (or a seed
    name prefixed by its ancestors, "青溪县城关镇") resolve to the seed's code; any other name gets a
    synthetic code 'U' + 8 hex digits of its md5 and is_known = false, with its level guessed
    from its suffix (镇/乡/街道 township, 村 village, 县/区 county, 市/州 prefecture, 省 province).
#}

with

known_areas as (

    select * from {{ ref('int_admin_areas_flattened') }}

),

investment as (select * from {{ ref('stg_ledgers__investment_lines') }}),
indicator_values as (select * from {{ ref('stg_ledgers__indicator_values') }}),
patrols as (select * from {{ ref('stg_ledgers__patrols') }}),
river_issues as (select * from {{ ref('stg_ledgers__river_issues') }}),
enforcement_cases as (select * from {{ ref('stg_ledgers__enforcement_cases') }}),
funding as (select * from {{ ref('stg_ledgers__funding_lines') }}),

observed_names as (

    select area_name from investment
    union
    select area_name from indicator_values
    union
    select area_name from patrols
    union
    select area_name from river_issues
    union
    select area_name from enforcement_cases
    union
    -- a funding ledger names no area per line: its own area (title, file or folder) stands in
    select ledger_scope from funding

),

name_variants as (

    select area_name as name_variant, area_code, area_level from known_areas
    union
    select name_with_parent, area_code, area_level from known_areas where name_with_parent is not null
    union
    select name_with_two_ancestors, area_code, area_level from known_areas
    where name_with_two_ancestors is not null
    union
    select full_name, area_code, area_level from known_areas

),

-- a variant shared by two known areas would be ambiguous: the lower level (more specific) wins
unique_variants as (

    select
        *,
        row_number() over (
            partition by name_variant
            order by length(area_code) desc, area_code
        ) as variant_rank
    from name_variants

),

resolved as (

    select
        observed_names.area_name as reported_area_name,
        unique_variants.area_code as known_area_code,
        unique_variants.area_code is not null as is_known
    from observed_names
    left join unique_variants
        on observed_names.area_name = unique_variants.name_variant
        and unique_variants.variant_rank = 1
    where observed_names.area_name is not null

)

select
    reported_area_name,
    coalesce(known_area_code, 'U' || upper(left(md5(reported_area_name), 8))) as area_code,
    is_known,
    case
        when is_known then null
        when {{ regex_like('reported_area_name', '(镇|乡|街道|街办)$') }} then 'township'
        when {{ regex_like('reported_area_name', '村$') }} then 'village'
        when {{ regex_like('reported_area_name', '(省|自治区)$') }} then 'province'
        when {{ regex_like('reported_area_name', '(县|区|旗)$') }} then 'county'
        when {{ regex_like('reported_area_name', '(市|州|盟)$') }} then 'prefecture'
        else 'unknown'
    end as inferred_area_level,
    {{ is_anonymised_name('reported_area_name') }} as is_anonymised
from resolved
