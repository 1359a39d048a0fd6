"""enqueue_each: one job per row of a SELECT, in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB

from bemserver.jobs.enqueue import enqueue_each

pytestmark = pytest.mark.usefixtures("empty_queue")


async def test_one_job_per_row_and_none_for_no_row(engine):
    async with engine.begin() as connection:
        number = func.generate_series(1, 3).column_valued("n")
        made = await enqueue_each(
            connection,
            "send_mail",
            select(
                func.jsonb_build_object(
                    "to",
                    func.jsonb_build_array(func.concat("user", number, "@example.org")),
                    "subject",
                    "s",
                    "body",
                    "b",
                    type_=JSONB,
                )
            ),
        )
        none = await enqueue_each(
            connection,
            "send_mail",
            select(func.jsonb_build_object("to", "x", type_=JSONB)).where(literal(False)),
        )
        rows = await connection.execute(text("SELECT task_name, args FROM procrastinate_jobs ORDER BY id"))
        jobs = [tuple(row) for row in rows]
    assert (made, none) == (3, 0)
    assert [args["to"] for _, args in jobs] == [[f"user{n}@example.org"] for n in (1, 2, 3)]
    assert {name for name, _ in jobs} == {"send_mail"}


async def test_an_unknown_task_is_refused(engine):
    async with engine.begin() as connection:
        with pytest.raises(LookupError):
            await enqueue_each(connection, "no_such_task", select(func.jsonb_build_object(type_=JSONB)))
