"""Every segment count equals a DuckDB recomputation over the exported tag table.

Random expressions are generated as pairs (segment-language text, SQL condition), written
independently of the parser, so the bitmaps and the SQL are two separate evaluations.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plaudit.errors import InvalidInput, NotFound
from plaudit.persona import Audience, Privacy, SavedSegments, tag_table, write_bitmap
from plaudit.persona.taxonomy import TAGS, family_tags
from tests.persona.conftest import Community

Pair = tuple[str, str]
SPEND = {  # lower bound, upper bound (None: open) of each band, as documented
    "spend.0_1000": (0, 1000),
    "spend.1000_3000": (1000, 3000),
    "spend.3000_5000": (3000, 5000),
    "spend.5000_10000": (5000, 10000),
    "spend.10000_plus": (10000, None),
}
SPEND_BOUNDS = [0, 1000, 3000, 5000, 10000]


def _has(tag: str) -> str:
    return f"list_contains(tags, '{tag}')"


def _any(tags: list[str]) -> str:
    return "(" + " OR ".join(_has(t) for t in tags) + ")" if tags else "FALSE"


tag_atom = st.sampled_from([t.id for t in TAGS]).map(lambda t: (t, _has(t)))
family_value = st.sampled_from(
    ["gender", "city_tier", "province", "interest", "activity", "device", "role", "hours"]
).flatmap(
    lambda f: st.lists(
        st.sampled_from([t.id for t in family_tags(f)]), min_size=1, max_size=3, unique=True
    ).map(lambda ids: (f, ids))
)


def _membership(pair: tuple[str, list[str]]) -> Pair:
    family, ids = pair
    values = [i.split(".", 1)[1] for i in ids]
    if len(ids) == 1:
        return f"{family} = {values[0]}", _has(ids[0])
    return f"{family} in ({', '.join(values)})", _any(ids)


ages = st.tuples(st.integers(10, 85), st.integers(0, 30)).flatmap(
    lambda t: st.sampled_from(
        [
            (
                f"age in {t[0]}..{t[0] + t[1]}",
                f"coalesce(age BETWEEN {t[0]} AND {t[0] + t[1]}, FALSE)",
            ),
            (f"age >= {t[0]}", f"coalesce(age >= {t[0]}, FALSE)"),
            (f"age < {t[0]}", f"coalesce(age < {t[0]}, FALSE)"),
            (f"age = {t[0]}", f"coalesce(age = {t[0]}, FALSE)"),
        ]
    )
)


def _spend(op: str, bound: int) -> Pair:
    if op == ">=":
        tags = [t for t, (lo, _hi) in SPEND.items() if lo >= bound]
    else:
        tags = [t for t, (_lo, hi) in SPEND.items() if hi is not None and hi <= bound]
    return f"spend {op} {bound}", _any(tags)


spends = st.tuples(st.sampled_from([">=", "<"]), st.sampled_from(SPEND_BOUNDS)).map(
    lambda t: _spend(*t)
)
atoms = st.one_of(tag_atom, family_value.map(_membership), ages, spends)


def _combine(children: st.SearchStrategy[Pair]) -> st.SearchStrategy[Pair]:
    def join(op: str, parts: list[Pair]) -> Pair:
        text = f" {op} ".join(f"({t})" for t, _ in parts)
        sql = f" {op.upper()} ".join(f"({s})" for _, s in parts)
        return text, sql

    return st.one_of(
        children.map(lambda p: (f"not ({p[0]})", f"NOT ({p[1]})")),
        st.lists(children, min_size=2, max_size=4).map(lambda ps: join("and", ps)),
        st.lists(children, min_size=2, max_size=3).map(lambda ps: join("or", ps)),
    )


_TREES = st.recursive(atoms, _combine, max_leaves=8)


@st.composite
def expressions(draw: st.DrawFn) -> Pair:
    # a composite keeps the strategy's repr short (hypothesis warns on huge reprs)
    return draw(_TREES)


@pytest.fixture(scope="module")
def tables_db(community: Community) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.register("accounts", tag_table(community.index))
    return conn


# On a failure hypothesis reprs the fixtures (the whole index); without this filter that
# warning, made an error by our strict pytest settings, would hide the falsifying example.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expressions())
def test_counts_equal_duckdb_over_the_exported_tags(
    community: Community, tables_db: duckdb.DuckDBPyConnection, pair: Pair
) -> None:
    text, sql = pair
    audience = Audience(community.index, Privacy(k=1))
    expected = tables_db.execute(f"SELECT count(*) FROM accounts WHERE {sql}").fetchone()
    assert expected is not None
    assert len(audience.select(text)) == expected[0], text
    assert audience.size(text) == expected[0], text


def test_the_export_has_one_row_per_consenting_account(
    community: Community, tables_db: duckdb.DuckDBPyConnection
) -> None:
    rows = tables_db.execute("SELECT count(*), count(DISTINCT account_id) FROM accounts")
    assert rows.fetchone() == (len(community.index.universe),) * 2
    female = tables_db.execute(
        "SELECT count(*) FROM accounts WHERE list_contains(tags, 'gender.female')"
    ).fetchone()
    assert female == (len(community.index.tag("gender.female")),)


def test_saved_segments_compose_and_cycles_are_refused(
    community: Community, tmp_path: Path
) -> None:
    saved = SavedSegments(tmp_path)
    saved.save("women", "gender = female")
    saved.save("young", "age < 30")
    audience = Audience(community.index, Privacy(k=1), saved)
    both = audience.select("segment:women and not segment:young")
    assert both == audience.select("gender = female and age >= 30")
    saved.save("loop_a", "segment:loop_b")
    saved.save("loop_b", "segment:loop_a or role.fan")
    with pytest.raises(InvalidInput, match="cycle: loop_a -> loop_b -> loop_a"):
        audience.select("segment:loop_a")
    with pytest.raises(NotFound):
        audience.select("segment:nobody")
    with pytest.raises(InvalidInput):
        saved.save("bad name", "role.fan")
    with pytest.raises(InvalidInput):
        saved.save("bad_expr", "role.fa")


def test_a_segment_exports_as_a_portable_bitmap(community: Community, tmp_path: Path) -> None:
    from pyroaring import BitMap

    segment = Audience(community.index, Privacy()).select("gender = female and age < 30")
    path = tmp_path / "seg.roaring"
    assert write_bitmap(segment, path) == len(segment)
    assert BitMap.deserialize(path.read_bytes()) == segment
