{# A generic test: the combination of columns is unique (like dbt_utils.unique_combination_of_columns; kept
   here so the project needs no package download at build time). #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{# A generic test for type-2 dimensions: per entity, exactly one current version and no overlapping versions. #}
{% test scd2_one_current_version(model, entity_columns) %}
select {{ entity_columns | join(', ') }}
from {{ model }}
group by {{ entity_columns | join(', ') }}
having sum(case when is_current then 1 else 0 end) <> 1
{% endtest %}

{# A generic test for the user columns of user-level models: no erased user, i.e. no pseudonym of the erasure ledger
   (any row, complete or not) and not Pseudonymizer's ERASED constant. Written without collab_not_erased, so it
   checks the filter rather than repeating it. #}
{% test no_erased_users(model, column_name) %}
select {{ column_name }} as erased_user
from {{ model }}
where {{ column_name }} = 'u_00000000000000000000000000000000'
    or {{ column_name }} in (
        select pseudonym from {{ source('collab', 'erasure_ledger') }} where pseudonym is not null
    )
{% endtest %}
