{#
    滞后原因 text → delay category (domain.md 1.6), one row per distinct reason text.

    Keywords come from the seed delay_reason_keywords. A keyword match inside a longer matched
    keyword is ignored ("资金" inside "资金未到位", "融资" inside "融资模式改变"). The primary category
    is that of the earliest remaining match in the text (ties: lower priority number, then the
    longer keyword); delay_reason_categories lists every matched category in order of first
    appearance. Text that matches nothing is OTHER.
    "设计变更及资本金到位迟缓" → DESIGN, categories DESIGN,FUNDING.
#}

with

investment as (

    select * from {{ ref('stg_ledgers__investment_lines') }}

),

keywords as (

    select keyword, category, priority from {{ ref('delay_reason_keywords') }}

),

reasons as (

    select distinct delay_reason from investment where delay_reason is not null

),

matches as (

    select
        reasons.delay_reason,
        keywords.keyword,
        keywords.category,
        keywords.priority,
        instr(reasons.delay_reason, keywords.keyword) as match_start,
        instr(reasons.delay_reason, keywords.keyword) + length(keywords.keyword) - 1 as match_end
    from reasons
    inner join keywords
        on instr(reasons.delay_reason, keywords.keyword) > 0

),

-- drop a match that lies inside a longer match of another keyword
covering_matches as (

    select distinct inner_match.delay_reason, inner_match.keyword
    from matches as inner_match
    inner join matches as outer_match
        on inner_match.delay_reason = outer_match.delay_reason
        and outer_match.match_start <= inner_match.match_start
        and outer_match.match_end >= inner_match.match_end
        and length(outer_match.keyword) > length(inner_match.keyword)

),

kept_matches as (

    select matches.*
    from matches
    anti join covering_matches
        on matches.delay_reason = covering_matches.delay_reason
        and matches.keyword = covering_matches.keyword

),

ranked_matches as (

    select
        *,
        row_number() over (
            partition by delay_reason
            order by match_start, priority, length(keyword) desc, category
        ) as match_rank
    from kept_matches

),

category_positions as (

    select delay_reason, category, min(match_start) as first_match_start
    from kept_matches
    group by delay_reason, category

),

all_categories as (

    select
        delay_reason,
        {{ ordered_string_agg('category', ',', 'first_match_start, category') }} as delay_reason_categories,
        count(*) as matched_category_count
    from category_positions
    group by delay_reason

),

primary_match as (

    select delay_reason, category, keyword
    from ranked_matches
    where match_rank = 1

)

select
    reasons.delay_reason,
    coalesce(primary_match.category, 'OTHER') as delay_reason_category,
    primary_match.keyword as matched_keyword,
    coalesce(all_categories.delay_reason_categories, 'OTHER') as delay_reason_categories,
    coalesce(all_categories.matched_category_count, 0) as matched_category_count
from reasons
left join primary_match
    on reasons.delay_reason = primary_match.delay_reason
left join all_categories
    on reasons.delay_reason = all_categories.delay_reason
