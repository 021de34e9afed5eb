"""Experiments as use cases: create, assign (and log the exposure), report.

Who may do what: creators and operators create experiments; the owner and operators assign
units and read reports. The CLI acts as the local operator (`actor_id=None`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from plaudit.errors import AccountNotFound, Conflict, Forbidden, InvalidInput, NotFound
from plaudit.experiments.analysis import analyse
from plaudit.experiments.assignment import assign
from plaudit.experiments.model import (
    METRICS,
    Arm,
    Experiment,
    check_metric,
    check_windows,
    parse_arms,
)
from plaudit.store import Database, utcnow
from plaudit.store import catalog as catalog_sql
from plaudit.store import experiments as sql

__all__ = ["ExperimentService"]

_DAY_S = 86400.0
_UNIT_KINDS = {"creator": ("creator",), "fan": ("fan",)}
METHOD = (
    "difference in means of the metric per unit per day (arm - control) over exposed units, "
    "95% Welch t interval; CUPED adjusts each unit by theta x (pre-period value - mean) with "
    "theta = cov(pre, metric) / var(pre) pooled over all units (Deng et al., WSDM 2013)"
)


def _experiment(row: Row[Any]) -> Experiment:
    arms = tuple(Arm(a["name"], int(a["weight"])) for a in json.loads(row.arms))
    return Experiment(
        row.id, row.name, row.owner_id, row.unit, row.metric, arms,
        row.pre_starts_at, row.starts_at, row.ends_at, row.created_at,
    )  # fmt: skip


class ExperimentService:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self,
        owner_id: int,
        name: str,
        unit: str,
        metric: str,
        arms: list[str] | list[tuple[str, int]],
        windows: tuple[datetime, datetime, datetime],
    ) -> Experiment:
        """A new experiment; `windows` = (pre-period start, experiment start, experiment end)."""
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidInput("an experiment name has 1 to 200 characters", field="name")
        check_metric(metric, unit)
        parsed = parse_arms(arms)
        check_windows(*windows)
        values = {
            "name": name, "owner_id": owner_id, "unit": unit, "metric": metric,
            "arms": json.dumps([a.as_dict() for a in parsed]),
            "pre_starts_at": windows[0], "starts_at": windows[1], "ends_at": windows[2],
            "created_at": utcnow(),
        }  # fmt: skip

        def op(conn: Connection) -> int:
            _require_kind(conn, owner_id, ("creator", "operator"), "create experiments")
            return sql.insert_experiment(conn, values)

        return self.get(self._db.write(op))

    def get(self, experiment_id: int, actor_id: int | None = None) -> Experiment:
        with self._db.read() as conn:
            row = sql.get_experiment(conn, experiment_id)
            if row is None:
                raise NotFound(f"experiment {experiment_id} does not exist", id=experiment_id)
            experiment = _experiment(row)
            if actor_id is not None and actor_id != experiment.owner_id:
                _require_kind(conn, actor_id, ("operator",), "read another owner's experiment")
        return experiment

    def list(self, owner_id: int | None = None) -> list[Experiment]:
        with self._db.read() as conn:
            return [_experiment(row) for row in sql.list_experiments(conn, owner_id)]

    def assign(
        self, experiment_id: int, unit_id: int, *, expose: bool, actor_id: int | None = None
    ) -> dict[str, Any]:
        """The unit's arm; with `expose`, the first exposure is logged (later ones are not)."""
        experiment = self.get(experiment_id, actor_id)
        arm = assign(experiment.id, unit_id, experiment.arms)
        result: dict[str, Any] = {"experiment_id": experiment.id, "unit_id": unit_id, "arm": arm}
        if not expose:
            with self._db.read() as conn:
                _require_kind(conn, unit_id, _UNIT_KINDS[experiment.unit], "be a unit")
                row = sql.exposure_of(conn, experiment.id, unit_id)
            return {**result, "exposed_at": row.exposed_at.isoformat() if row else None}
        return {**result, **self._db.write(_expose_op(experiment, unit_id, arm))}

    def report(
        self, experiment_id: int, actor_id: int | None = None, now: datetime | None = None
    ) -> dict[str, Any]:
        """The analysis over exposed units: per arm, each arm vs control, plain and CUPED."""
        experiment = self.get(experiment_id, actor_id)
        now = now or utcnow()
        end = min(now, experiment.ends_at)
        if end <= experiment.starts_at:
            raise Conflict(
                f"experiment {experiment.id} starts at {experiment.starts_at.isoformat()}; "
                "report after it has run",
                id=experiment.id,
            )
        with self._db.read() as conn:
            units = sql.exposures(conn, experiment.id)
            ids = [unit for unit, _ in units]
            during = sql.metric_counts(conn, experiment.metric, ids, experiment.starts_at, end)
            before = sql.metric_counts(
                conn, experiment.metric, ids, experiment.pre_starts_at, experiment.starts_at
            )
        return _report(experiment, units, during, before, end)


def _expose_op(experiment: Experiment, unit_id: int, arm: str) -> Any:
    def op(conn: Connection) -> dict[str, Any]:
        _require_kind(conn, unit_id, _UNIT_KINDS[experiment.unit], "be a unit")
        existing = sql.exposure_of(conn, experiment.id, unit_id)
        if existing is not None:
            return {"exposed_at": existing.exposed_at.isoformat(), "first_exposure": False}
        now = utcnow()
        if now >= experiment.ends_at:
            raise Conflict(f"experiment {experiment.id} has ended; it takes no new exposures")
        sql.insert_exposure(conn, experiment.id, unit_id, arm, now)
        return {"exposed_at": now.isoformat(), "first_exposure": True}

    return op


def _require_kind(conn: Connection, account_id: int, kinds: tuple[str, ...], doing: str) -> None:
    row = catalog_sql.get_account(conn, account_id)
    if row is None:
        raise AccountNotFound(f"account {account_id} does not exist", account_id=account_id)
    if row.kind not in kinds:
        raise Forbidden(
            f"account {account_id} is a {row.kind}; only a {' or '.join(kinds)} account may {doing}"
        )


def _report(
    experiment: Experiment,
    units: list[tuple[int, str]],
    during: dict[int, int],
    before: dict[int, int],
    end: datetime,
) -> dict[str, Any]:
    days = (end - experiment.starts_at).total_seconds() / _DAY_S
    pre_days = (experiment.starts_at - experiment.pre_starts_at).total_seconds() / _DAY_S
    metric: dict[str, list[float]] = {arm.name: [] for arm in experiment.arms}
    pre: dict[str, list[float]] = {arm.name: [] for arm in experiment.arms}
    for unit, arm in units:
        if arm in metric:
            metric[arm].append(during.get(unit, 0) / days)
            pre[arm].append(before.get(unit, 0) / pre_days)
    analysis = analyse(metric, pre, experiment.control)
    about = METRICS[experiment.metric]
    return {
        "experiment": experiment.as_dict(),
        "metric": {"name": about.name, "en": about.en, "zh": about.zh},
        "window": {"from": experiment.starts_at.isoformat(), "to": end.isoformat(), "days": days},
        "pre_period_days": pre_days,
        "arms": analysis.arms,
        "cuped": {"theta": analysis.theta, "variance_reduction": analysis.variance_reduction},
        "comparisons": [
            {
                "arm": c.arm,
                "control": c.control,
                "relative_uplift": c.relative,
                "plain": c.plain.as_dict(),
                "cuped": c.cuped.as_dict(),
            }
            for c in analysis.comparisons
        ],
        "method": METHOD,
    }
