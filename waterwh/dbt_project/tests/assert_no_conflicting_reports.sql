{#
    Current reports that disagree (rpt_conflicting_reports) are reported, never blocking: the facts
    use the most recently loaded report, and the run report lists every difference for a person to
    settle.
#}
{{ config(severity='warn') }}

select * from {{ ref('rpt_conflicting_reports') }}
