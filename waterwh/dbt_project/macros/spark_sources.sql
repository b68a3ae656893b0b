{#
    Spark only: register every source table of the project (raw.*, audit.*) as an external
    Parquet table over <raw_parquet_location>/<schema>/<table>/, where waterwh.spark_parity
    exports them from the DuckDB warehouse (on a cluster: an HDFS/S3 path the ingest writes to).
    Dropping an external table keeps its files; re-creating it picks up a new export.
#}
{% macro register_parquet_sources() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set location = var('raw_parquet_location') -%}
        {%- if not location -%}
            {{ exceptions.raise_compiler_error("Spark target: set WATERWH_RAW_PARQUET (var raw_parquet_location) to the exported raw Parquet folder") }}
        {%- endif -%}
        {%- for source in graph.sources.values() | sort(attribute='unique_id') -%}
            {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- do run_query('drop table if exists ' ~ source.schema ~ '.' ~ source.identifier) -%}
            {%- do run_query('create table ' ~ source.schema ~ '.' ~ source.identifier ~ ' using parquet location '
                             ~ sql_string_literal(location ~ '/' ~ source.schema ~ '/' ~ source.identifier)) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
