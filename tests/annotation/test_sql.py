"""The queue's hand-written statements: compacted text, short enough for psycopg's conversion cache."""

from __future__ import annotations

from datetime import date

from psycopg import _queries

from annotation.queueing import services
from annotation.queueing.sql import compact
from quality.services import submission_rollup


def test_compact_folds_whitespace_outside_quotes_only():
    folded = compact("SELECT  'a  b' ,\n\t x FROM t WHERE y = 'it''s  ok'  ")
    assert folded == "SELECT 'a  b' , x FROM t WHERE y = 'it''s  ok'"


def test_compact_leaves_a_statement_with_line_comments_alone():
    sql = "SELECT 1 -- first\n, 2"
    assert compact(sql) == sql


def test_the_one_statement_submit_is_short_enough_to_be_converted_once():
    rollups, params = submission_rollup(
        annotation_source="ann", project_id=1, item_id=1, annotator_id=1, vendor_id=1, labels=["a"],
        time_spent_ms=1200, day=date(2026, 1, 1),
    )
    sql = compact(services._SUBMIT_LIVE_SQL.format(rollups=rollups))
    assert len(sql.encode()) <= _queries.MAX_CACHED_STATEMENT_LENGTH
    params.update(now=None, lease=1, user=1, target=1, vendor=1, labels="[]", spans="[]", comment="",
                  time_spent_ms=0, client_key="")
    assert len(params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
