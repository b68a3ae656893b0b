{#
    Every name or alias in the seed indicators points to one indicator code only; otherwise a
    ledger row would match two indicators.
#}

with

indicators as (

    select * from {{ ref('indicators') }}

),

names as (

    select indicator_code, name_zh as alias from indicators
    union all
    select indicator_code, {{ split_to_rows('aliases', '[|]') }} from indicators

)

select {{ clean_name('alias') }} as alias, count(distinct indicator_code) as codes
from names
where {{ clean_name('alias') }} is not null
group by 1
having count(distinct indicator_code) > 1
