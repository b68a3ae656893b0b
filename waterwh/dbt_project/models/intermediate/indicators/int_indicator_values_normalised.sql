{#
    Indicator ledger rows of current ledger versions, coded and normalised:
    - indicator_name → indicator_code through the seed indicators (its name_zh or any of its
      '|'-separated aliases, whitespace ignored; failing the name as written, the name without a
      bracketed designation at its end, 总磷(以P记) → 总磷); a name the seed does not know gets the code
      'UNK_' + 8 hex digits of its md5, direction higher_better and is_known = false;
    - monetary units (元, 万元, 亿元) are converted to 万元 (11.97 亿元 → 119700 万元); other units
      are kept, spelled canonically (万m3 → 万m³); no unit from the ledger or the seed: 未注明;
    - values of unit % are fractions: a value above 1 is in points (85.77 → 0.8577), as a cell
      written "85.77%" already is (ingest divides it);
    - achievement_rate is direction-aware: actual / target when higher is better, target / actual
      when lower is better (单位GDP用水量);
    - a monitoring record (监测因子, 监测值, 标准值) is a value against its standard, per station and
      sampling day;
    - when several current reports give one indicator × area × station × period (two ledgers of a district,
      or one listing it twice), report_rank 1 is the most recently loaded: fct_indicator_value keeps
      it, rpt_conflicting_reports lists where the others' values differ.
#}

with

indicator_values as (

    {{ current_data_rows(
        ref('stg_ledgers__indicator_values'),
        ref('int_ledger_versions_current'),
        ref('stg_ledgers__reported_totals')
    ) }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

area_names as (

    select * from {{ ref('int_admin_area_names') }}

),

alias_lists as (

    select indicator_code, name_zh as alias from indicators
    union all
    select indicator_code, {{ split_to_rows('aliases', '[|]') }} as alias from indicators

),

indicator_aliases as (

    select distinct {{ clean_name('alias') }} as alias, indicator_code
    from alias_lists
    where {{ clean_name('alias') }} is not null

),

coded as (

    select
        indicator_values.*,
        coalesce(
            named.indicator_code,
            stem.indicator_code,
            'UNK_' || upper(left(md5(indicator_values.indicator_name), 8))
        ) as indicator_code,
        coalesce(named.indicator_code, stem.indicator_code) is not null as is_known_indicator,
        indicators.name_zh as canonical_indicator_name,
        indicators.unit as canonical_unit,
        coalesce(indicators.direction, 'higher_better') as direction,
        area_names.area_code
    from indicator_values
    -- the name as written, else without a bracketed designation at its end: 总磷(以P记) is 总磷
    left join indicator_aliases as named
        on indicator_values.indicator_name = named.alias
    left join indicator_aliases as stem
        on named.alias is null
        and {{ regex_replace_all('indicator_values.indicator_name', '[(（][^()（）]*[)）]$', '') }} = stem.alias
    left join indicators
        on coalesce(named.indicator_code, stem.indicator_code) = indicators.indicator_code
    left join area_names
        on indicator_values.area_name = area_names.reported_area_name
    where not indicator_values.is_total_label_row

),

with_units as (

    select
        *,
        -- neither the ledger (its unit cell, or the unit a value is written with) nor the seed
        -- gives one: the mart says so, and a warning lists the row (one cell never blocks a night)
        replace(replace(coalesce(unit, canonical_unit, '未注明'), 'm3', 'm³'), 'M3', 'm³') as unit_reported,
        {{ to_wan_factor('coalesce(unit, canonical_unit)') }} as to_wan_factor
    from coded

),

converted as (

    select
        *,
        case when to_wan_factor is not null then '万元' else unit_reported end as unit_normalised,
        case
            when to_wan_factor is not null then round(target_value * to_wan_factor, 6)
            when unit_reported = '%' and abs(target_value) > 1 then round(target_value / 100, 6)
            else target_value
        end as target_value_normalised,
        case
            when to_wan_factor is not null then round(actual_value * to_wan_factor, 6)
            when unit_reported = '%' and abs(actual_value) > 1 then round(actual_value / 100, 6)
            else actual_value
        end as actual_value_normalised
    from with_units

),

ranked as (

    select
        *,
        {{ newest_report_rank('indicator_code, area_name, station_name, stat_period_start, stat_period_end') }}
            as report_rank,
        count(*) over (
            partition by indicator_code, area_name, station_name, stat_period_start, stat_period_end
        ) as reports_in_period
    from converted

)

select
    -- keys
    -- a wide sheet (one column per indicator) holds several values in one spreadsheet row
    {{ surrogate_key(['load_id', 'source_sheet', 'source_row', 'ranked.indicator_name']) }} as indicator_value_key,
    indicator_code,
    {{ surrogate_key(['stat_period_start', 'stat_period_end', "coalesce(stat_period_type, 'unknown')"]) }} as period_key,
    area_code,

    -- indicator
    coalesce(canonical_indicator_name, indicator_name) as indicator_name,
    indicator_name as reported_indicator_name,
    is_known_indicator,
    direction,

    -- where and when
    area_name,
    station_name,
    sample_date,
    stat_period_start as period_start,
    stat_period_end as period_end,
    coalesce(stat_period_type, 'unknown') as period_type,
    stat_period_label as period_label,

    -- values
    unit_normalised as unit,
    unit_reported,
    target_value_normalised as target_value,
    actual_value_normalised as actual_value,
    target_value_qualifier,
    actual_value_qualifier as qualifier,
    target_value_text,
    actual_value_text,
    case direction
        when 'lower_better' then {{ safe_ratio('target_value_normalised', 'actual_value_normalised') }}
        else {{ safe_ratio('actual_value_normalised', 'target_value_normalised') }}
    end as achievement_rate,
    completion_rate_reported,
    yoy_pct,
    rank,
    rank_of,
    remarks,

    -- lineage
    report_period_end,
    load_id,
    ledger_key,
    ledger_scope,
    ledger_version_no,
    source_file,
    source_sheet,
    source_row,
    report_rank,
    reports_in_period
from ranked
