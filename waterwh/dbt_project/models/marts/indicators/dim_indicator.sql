{#
    Indicators: the seed indicators (is_known) plus every indicator name a ledger used that the
    seed does not know, under its synthetic code (UNK_…), unit as most often reported, direction
    higher_better and additivity non_additive until someone adds it to the seed.
#}

with

seeded as (

    select * from {{ ref('indicators') }}

),

indicator_values as (

    select * from {{ ref('int_indicator_values_normalised') }}

),

labels as (

    select code, label_zh from {{ ref('enum_labels') }} where enum_name = 'direction'

),

known as (

    select
        indicator_code,
        name_zh,
        aliases,
        unit,
        direction,
        additivity,
        true as is_known
    from seeded

),

unknown as (

    select
        indicator_code,
        min(reported_indicator_name) as name_zh,
        cast(null as {{ dbt.type_string() }}) as aliases,
        {{ stable_mode("unit") }} as unit,
        'higher_better' as direction,
        'non_additive' as additivity,
        false as is_known
    from indicator_values
    where not is_known_indicator
    group by indicator_code

),

indicators as (

    select * from known
    union all
    select * from unknown

)

select
    indicators.indicator_code,
    indicators.name_zh,
    indicators.aliases,
    indicators.unit,
    indicators.direction,
    labels.label_zh as direction_zh,
    indicators.additivity,
    indicators.is_known
from indicators
left join labels
    on indicators.direction = labels.code
