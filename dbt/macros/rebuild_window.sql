{#
  The rebuild window of the incremental marts: which event days to recompute in this run. It follows the pipeline's
  own corrections instead of a fixed N-day lookback:

  - vars rebuild_from / rebuild_to (ISO dates, inclusive): exactly those days (what an orchestrator passes when it
    knows the range, e.g. on Snowflake where the pipeline keeps no generation log yet);
  - otherwise the warehouse says. Each mart row records `source_generations_through`, the newest finished_at of the
    generation log when it was built. Every generation that finished after that contributes:
      * a committed replay or correction (it has a range): exactly its range_from..range_to;
      * a finished live run (batch, or a stream that ended; committed or failed, since live rows stay written): the
        days of the curated day rows it wrote;
    and every generation still running (a live stream) contributes the days of its rows from the newest day already
    in the mart onwards: a stream only changes a day window within its allowed lateness (2 h), so older day windows
    change only through a replay, which is a generation of its own.
  - an empty mart, or a full refresh: everything.

  collab_rebuild_window(horizon_days) returns the days to rebuild (none: everything; else the changed days plus the
  horizon_days after each, since a mart whose rows look back, like a 7-day rolling sum, must recompute the days whose
  window covers a changed day) and the mark the rebuilt rows store.
#}
{% macro collab_rebuild_window(horizon_days=0, quiet=false) %}
  {#- Returns {days: none (everything) or the sorted ISO days, through: the SQL of the mark the rebuilt rows store}. -#}
  {% set full = {'days': none, 'through': collab_generations_through_now()} %}
  {#- `dbt compile --no-introspect` (offline, e.g. the Snowflake target here) renders the full build. -#}
  {% if not execute or flags.INTROSPECT == false or not is_incremental() %}
    {{ return(full) }}
  {% endif %}
  {% set mark = run_query("select max(source_generations_through), max(day) from " ~ this).rows[0] %}
  {% if mark[0] is none %}
    {{ return(full) }}
  {% endif %}
  {% set since = "cast('" ~ mark[0] ~ "' as timestamp)" %}
  {% set changed = [] %}
  {% if var('rebuild_from') or var('rebuild_to') %}
    {% if not (var('rebuild_from') and var('rebuild_to')) %}
      {{ exceptions.raise_compiler_error("set both rebuild_from and rebuild_to (ISO dates), or neither") }}
    {% endif %}
    {% do changed.extend(collab_days_between(var('rebuild_from'), var('rebuild_to'))) %}
    {#- An explicit window does not move the mark: what changed elsewhere since is still to be rebuilt. -#}
    {% set through = since %}
  {% else %}
    {#- The new mark is read before the window, and the window takes only generations up to it: one that finishes
        while this run works is after the mark, so the next run takes it. -#}
    {% set through_value = run_query("select max(finished_at) from " ~ ref('stg_collab__pipeline_generations')).rows[0][0] %}
    {% set through = "cast('" ~ (through_value if through_value is not none else mark[0]) ~ "' as timestamp)" %}
    {% set newest_day = "cast('" ~ (mark[1] | string)[:10] ~ "' as date)" %}
    {% set window_query %}
      with generations as (
          select * from {{ ref('stg_collab__pipeline_generations') }}
      ),
      finished as (
          select generation, range_from, range_to
          from generations
          where finished_at > {{ since }} and finished_at <= {{ through }}
            and (status = 'committed' or (status = 'failed' and range_from is null))
      ),
      running as (
          select generation from generations where status = 'running'
      ),
      day_rows as (
          select cast(window_start as date) as day, generation
          from {{ ref('stg_collab__active_editors') }} where granularity = 'day'
          union all
          select cast(window_start as date), generation
          from {{ ref('stg_collab__task_update_velocity') }} where granularity = 'day'
          union all
          select cast(window_start as date), generation
          from {{ ref('stg_collab__notification_fanout') }} where granularity = 'day'
      )
      select range_from as day_from, range_to as day_to from finished where range_from is not null
      union
      select d.day, d.day from day_rows as d
      inner join finished as f on d.generation = f.generation and f.range_from is null
      union
      select d.day, d.day from day_rows as d
      inner join running as r on d.generation = r.generation
      where d.day >= {{ newest_day }}
    {% endset %}
    {% for row in run_query(window_query).rows %}
      {% do changed.extend(collab_days_between(row[0], row[1])) %}
    {% endfor %}
  {% endif %}
  {% set days = [] %}
  {% for day in changed %}
    {% for offset in range(horizon_days + 1) %}
      {% set d = (modules.datetime.date.fromisoformat(day) + modules.datetime.timedelta(days=offset)).isoformat() %}
      {% if d not in days %}{% do days.append(d) %}{% endif %}
    {% endfor %}
  {% endfor %}
  {% if not quiet %}{{ log("rebuild window of " ~ this ~ ": " ~ (days | sort | join(", ") if days else "nothing changed"), info=True) }}{% endif %}
  {{ return({'days': days | sort, 'through': through}) }}
{% endmacro %}

{# ISO days from first to last, both inclusive (dates, datetimes or ISO strings). #}
{% macro collab_days_between(first, last) %}
  {% set start = modules.datetime.date.fromisoformat((first | string)[:10]) %}
  {% set end = modules.datetime.date.fromisoformat((last | string)[:10]) %}
  {% if end < start %}
    {{ exceptions.raise_compiler_error("empty date range " ~ start ~ " .. " ~ end) }}
  {% endif %}
  {% set days = [] %}
  {% for offset in range((end - start).days + 1) %}
    {% do days.append((start + modules.datetime.timedelta(days=offset)).isoformat()) %}
  {% endfor %}
  {{ return(days) }}
{% endmacro %}

{# A predicate: column is one of days (none: true, everything; an empty list: false, nothing). #}
{% macro collab_in_days(column, days) %}
  {%- if days is none -%} 1 = 1
  {%- elif days | length == 0 -%} 1 = 0
  {%- else -%} {{ column }} in ({% for d in days %}cast('{{ d }}' as date){% if not loop.last %}, {% endif %}{% endfor %})
  {%- endif -%}
{% endmacro %}

{# Pre-hook of an incremental mart: delete the rows of the rebuild window, so a key the rebuild no longer produces
   (a workspace whose events were erased, a bug fixed by a replay) goes too; delete+insert then adds the new rows.
   (The hook computes the window again; if a generation finishes between the model's compilation and the hook, the
   hook deletes days the model does not rebuild, and since their rows are gone and the mark did not pass that
   generation, the next run rebuilds them.) #}
{% macro collab_delete_rebuild_window(day_column, horizon_days=0) %}
  {% if execute and is_incremental() %}
    {% set days = collab_rebuild_window(horizon_days, quiet=true)['days'] %}
    {% if days is not none and days | length > 0 %}
      delete from {{ this }} where {{ collab_in_days(day_column, days) }}
    {% endif %}
  {% endif %}
{% endmacro %}

{# The newest finished_at of the generation log, as a subquery (a full build reads it in the same statement). #}
{% macro collab_generations_through_now() %}
  (select coalesce(max(finished_at), cast('1970-01-01 00:00:00' as timestamp)) from {{ ref('stg_collab__pipeline_generations') }})
{% endmacro %}
