{#
    The report periods of an incremental fact that must be rebuilt: those whose set of row
    fingerprints in the source differs from what the fact holds. A corrected ledger (new current
    load), a new ledger for an existing period, a ledger whose rows resolve differently (an alias
    or area added to a seed) or a period that no longer has any current row all change it.

    `source_filter` keeps the source rows the fact is built from (a condition on `source`).

    Used by fct_investment_snapshot's pre-hook, which deletes those periods before the model
    inserts every period the fact no longer holds; so a project dropped by a corrected ledger
    disappears too, which delete+insert on (project_key, report_period_end) alone would miss.
#}
{% macro periods_to_reprocess(target, source, period_column='report_period_end', fingerprint_column='source_row_hash',
                              source_filter=none) -%}
    with
    target_fingerprints as (
        select distinct {{ period_column }}, {{ fingerprint_column }} from {{ target }}
    ),
    source_fingerprints as (
        select distinct {{ period_column }}, {{ fingerprint_column }} from {{ source }}
        {% if source_filter %}where {{ source_filter }}{% endif %}
    ),
    only_in_source as (
        select * from source_fingerprints
        except
        select * from target_fingerprints
    ),
    only_in_target as (
        select * from target_fingerprints
        except
        select * from source_fingerprints
    ),
    changed as (
        select * from only_in_source
        union
        select * from only_in_target
    )
    select distinct {{ period_column }} from changed
{%- endmacro %}
