"""A budget lease's renewal as one PostgreSQL function (executions/budgets.py).

Renewing in Python took five round trips (BEGIN, DELETE the old hold, a conditional
UPDATE of the account per size tried, INSERT the new hold, COMMIT): about a quarter
of the round trips of 10 orchestrations at once (`make bench`, W3), each waited for
by the ORM's one thread. The function runs the same statements in the same order in
the server, in one call. SQLite, in the process, keeps the Python path.

The table names are written in; a migration that renames either table must replace
the function.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION aladdin_renew_lease(
    p_key varchar,
    p_lease bigint,
    p_spent_tokens bigint,
    p_spent_micros bigint,
    p_tokens bigint[],
    p_micros bigint[],
    p_max_tokens bigint,
    p_max_micros bigint,
    p_holder varchar,
    p_now timestamptz
) RETURNS TABLE (
    r_hold bigint,
    r_index integer,
    r_account bigint,
    r_spent_tokens bigint,
    r_reserved_tokens bigint,
    r_spent_micros bigint,
    r_reserved_micros bigint
) LANGUAGE plpgsql AS $$
DECLARE
    v_old_tokens bigint := 0;
    v_old_micros bigint := 0;
    v_last integer := cardinality(p_tokens);
    v_capped boolean;
BEGIN
    -- Whoever deletes the old hold gives its amount back (maintenance may have).
    IF p_lease IS NOT NULL THEN
        DELETE FROM executions_budgethold AS h WHERE h.id = p_lease
            RETURNING h.tokens, h.micros INTO v_old_tokens, v_old_micros;
        IF NOT FOUND THEN
            v_old_tokens := 0;
            v_old_micros := 0;
        END IF;
    END IF;
    -- The first size that keeps the account within its caps; the last one always.
    FOR i IN 1..v_last LOOP
        v_capped := i < v_last;
        UPDATE executions_budgetaccount AS a SET
            reserved_tokens = a.reserved_tokens + p_tokens[i] - v_old_tokens,
            reserved_micros = a.reserved_micros + p_micros[i] - v_old_micros,
            spent_tokens = a.spent_tokens + p_spent_tokens,
            spent_micros = a.spent_micros + p_spent_micros,
            updated_at = p_now
        WHERE a.key = p_key
            AND (NOT v_capped OR p_max_tokens IS NULL
                OR a.spent_tokens + a.reserved_tokens
                    <= p_max_tokens - (p_tokens[i] - v_old_tokens + p_spent_tokens))
            AND (NOT v_capped OR p_max_micros IS NULL
                OR a.spent_micros + a.reserved_micros
                    <= p_max_micros - (p_micros[i] - v_old_micros + p_spent_micros))
        RETURNING a.id, a.spent_tokens, a.reserved_tokens, a.spent_micros, a.reserved_micros
        INTO r_account, r_spent_tokens, r_reserved_tokens, r_spent_micros, r_reserved_micros;
        IF FOUND THEN
            r_index := i - 1;
            r_hold := NULL;
            IF p_tokens[i] <> 0 OR p_micros[i] <> 0 THEN
                INSERT INTO executions_budgethold (account_id, holder, tokens, micros, created_at)
                VALUES (r_account, p_holder, p_tokens[i], p_micros[i], p_now)
                RETURNING id INTO r_hold;
            END IF;
            RETURN NEXT;
            RETURN;
        END IF;
    END LOOP;
    -- No account with that key: no row.
END
$$;
"""

DROP = "DROP FUNCTION IF EXISTS aladdin_renew_lease(varchar, bigint, bigint, bigint, bigint[], bigint[], bigint, bigint, varchar, timestamptz);"  # noqa: E501


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("executions", "0008_execution_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
