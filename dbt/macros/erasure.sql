{#
  Erasure (privacy): an erased user must be gone from the user-level models. bin/collab-erasure keeps the erasure
  ledger (erasure_ledger, next to the curated tables); a user whose pseudonym has a ledger row, complete or not, is
  left out of every user-level model, and so is the constant pseudonym the pipeline gives the events of a user erased
  before they were processed (io.collabpipeline.transforms.pii.Pseudonymizer.ERASED).
#}

{# Pseudonymizer.ERASED: "u_" and 32 zeros. #}
{% macro collab_erased_pseudonym() %}{{ return('u_' ~ '0' * 32) }}{% endmacro %}

{# The predicate every user-level model applies to its user column, at the earliest model that has it: true for a
   user who is not erased (null stays as it was: the models' not_null tests judge it). NOT EXISTS, not NOT IN: a
   ledger row without a pseudonym (filed by key index only) must not hide everyone. #}
{% macro collab_not_erased(user_column) %}
    ({{ user_column }} is null or ({{ user_column }} <> '{{ collab_erased_pseudonym() }}'
        and not exists (
            select 1 from {{ source('collab', 'erasure_ledger') }} as erasure
            where erasure.pseudonym = {{ user_column }}
        )))
{% endmacro %}

{# on-run-start: the ledger exists before any model reads it. bin/collab-erasure creates it on its first run; until
   then it is created empty here with the same schema, so a warehouse without erasures builds. Created only when
   missing (looked up first), so a role that may read but not create in the curated schema (the Snowflake
   transformer, once the ledger exists) runs it too. Only by the commands that run SQL: `dbt compile` (offline on
   Snowflake, --no-introspect) renders the hook too, and must not connect for it. #}
{% macro collab_create_erasure_ledger() %}
  {% if execute and flags.WHICH in ('run', 'build', 'test', 'seed', 'snapshot') %}
    {% set ledger = source('collab', 'erasure_ledger') %}
    {% if adapter.get_relation(database=ledger.database, schema=ledger.schema, identifier=ledger.identifier) is none %}
      {{ log("creating the empty erasure ledger " ~ ledger, info=True) }}
      {#- Run and committed here, in a transaction of its own or the one the look-up opened (DuckDB): dbt rolls back
          what is open after the hooks. -#}
      {% if target.type != 'snowflake' %}{% do adapter.create_schema(ledger) %}{% endif %}
      {% call statement('collab_create_erasure_ledger', auto_begin=true) %}
        {{ adapter.dispatch('collab_erasure_ledger_ddl', 'collab')(ledger) }}
      {% endcall %}
      {% do adapter.commit() %}
    {% endif %}
  {% endif %}
  {{ return('') }}
{% endmacro %}

{# The ledger's schema, as bin/collab-erasure writes it. #}
{% macro default__collab_erasure_ledger_ddl(ledger) %}
create table if not exists {{ ledger }} (
    request_id varchar primary key,
    pseudonym varchar null,
    key_index varchar null,
    source varchar not null check (source in ('event', 'operator')),
    requested_at timestamp not null,
    filed_at timestamp not null,
    due_at timestamp not null,
    completed_at timestamp null
)
{% endmacro %}

{# Snowflake: timestamp_ntz (UTC, like every timestamp here), no CHECK constraints; the schema is the pipeline's
   (02_curated_tables.sql), not created here. #}
{% macro snowflake__collab_erasure_ledger_ddl(ledger) %}
create table if not exists {{ ledger }} (
    request_id varchar primary key,
    pseudonym varchar null,
    key_index varchar null,
    source varchar not null,
    requested_at timestamp_ntz not null,
    filed_at timestamp_ntz not null,
    due_at timestamp_ntz not null,
    completed_at timestamp_ntz null
)
{% endmacro %}
