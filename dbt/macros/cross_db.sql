{# Small adapter-dispatched helpers, so the models read the same on DuckDB, PostgreSQL and Snowflake. #}

{# A timestamp with time zone (the raw store's occurred_at, received_at) as a UTC timestamp without zone. #}
{% macro collab_utc_timestamp(column) %}{{ return(adapter.dispatch('collab_utc_timestamp', 'collab')(column)) }}{% endmacro %}
{% macro default__collab_utc_timestamp(column) %}cast(({{ column }} at time zone 'UTC') as timestamp){% endmacro %}
{% macro snowflake__collab_utc_timestamp(column) %}convert_timezone('UTC', {{ column }})::timestamp_ntz{% endmacro %}

{# The text value of a top-level key of a JSON object held in a string column (null when absent). #}
{% macro collab_json_text(column, key) %}{{ return(adapter.dispatch('collab_json_text', 'collab')(column, key)) }}{% endmacro %}
{% macro default__collab_json_text(column, key) %}(cast({{ column }} as json) ->> '{{ key }}'){% endmacro %}
{% macro duckdb__collab_json_text(column, key) %}json_extract_string({{ column }}, '$.{{ key }}'){% endmacro %}
{% macro snowflake__collab_json_text(column, key) %}parse_json({{ column }}):{{ key }}::varchar{% endmacro %}

{# Whether the raw store can be read on this target: DuckDB reads the Parquet files, Snowflake its external table;
   PostgreSQL has no Parquet reader. bin/collab-dbt also turns it off when the raw store holds no Parquet file. #}
{% macro collab_raw_store_enabled() %}
  {{ return(target.type != 'postgres' and env_var('COLLAB_DBT_RAW_ENABLED', 'true') == 'true') }}
{% endmacro %}

{# The string elements of a JSON array field `key` of the JSON text `column`, one row each: for a select whose FROM is
   the model holding `column`. DuckDB: unnest of the array cast to a list; Snowflake: the caller joins
   lateral flatten (see collab_json_array_join). #}
{% macro collab_json_array_element(column, key) %}{{ return(adapter.dispatch('collab_json_array_element', 'collab')(column, key)) }}{% endmacro %}
{% macro default__collab_json_array_element(column, key) %}unnest(cast(json_extract({{ column }}, '$.{{ key }}') as varchar[])){% endmacro %}
{% macro snowflake__collab_json_array_element(column, key) %}element.value::varchar{% endmacro %}
{% macro collab_json_array_join(column, key) %}{{ return(adapter.dispatch('collab_json_array_join', 'collab')(column, key)) }}{% endmacro %}
{% macro default__collab_json_array_join(column, key) %}{% endmacro %}
{% macro snowflake__collab_json_array_join(column, key) %}, lateral flatten(input => parse_json({{ column }}):{{ key }}) as element{% endmacro %}
