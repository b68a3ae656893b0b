{#
    Delay-reason categories (domain.md 1.6) with their Chinese labels and the keywords that map
    滞后原因 text onto them (seed delay_reason_keywords, most specific first).
#}

with

categories as (

    select * from {{ ref('delay_reason_categories') }}

),

keywords as (

    select * from {{ ref('delay_reason_keywords') }}

),

keyword_lists as (

    select
        category,
        {{ ordered_string_agg('keyword', '、', 'priority, length(keyword) desc, keyword') }} as keywords,
        count(*) as keyword_count
    from keywords
    group by category

)

select
    categories.category,
    categories.name_zh,
    categories.name_en,
    categories.sort_order,
    keyword_lists.keywords,
    coalesce(keyword_lists.keyword_count, 0) as keyword_count
from categories
left join keyword_lists
    on categories.category = keyword_lists.category
