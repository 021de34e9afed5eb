"""A/B experiments: create, assign units (logging exposures) and read the analysis.

Creators and operators create experiments; the owner and operators assign and read reports.
Every uplift the product shows comes from such a report (difference in means, Welch 95%
interval, CUPED), never from a constant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import CurrentAccount, PlatformDep

__all__ = ["router"]

router = APIRouter(prefix="/v1/experiments", tags=["experiments"])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArmIn(_Strict):
    name: str = Field(..., description="1-64 lowercase letters, digits, '_' or '-'")
    weight: int = Field(1, description="Relative share of units, 1-1000")


class ExperimentIn(_Strict):
    name: str
    unit: str = Field(..., description="creator or fan: the accounts assigned to arms")
    metric: str = Field(..., description="e.g. likes_received, authentic_likes_received")
    arms: list[ArmIn] = Field(..., description="The first arm is the control")
    pre_starts_at: datetime = Field(..., description="Start of the pre-period (for CUPED)")
    starts_at: datetime = Field(..., description="End of the pre-period, start of the test")
    ends_at: datetime


class AssignmentIn(_Strict):
    unit_id: int
    expose: bool = Field(True, description="Log the exposure (the first one counts)")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an experiment (creators and operators)",
)
def create(body: ExperimentIn, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    experiment = platform.experiments.create(
        account_id,
        body.name,
        body.unit,
        body.metric,
        [(arm.name, arm.weight) for arm in body.arms],
        (body.pre_starts_at, body.starts_at, body.ends_at),
    )
    return experiment.as_dict()


@router.get("", summary="Your experiments (operators: every experiment)")
def list_experiments(account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    kind = platform.accounts.get(account_id).kind
    owner = None if kind == "operator" else account_id
    return {"experiments": [e.as_dict() for e in platform.experiments.list(owner)]}


@router.get("/{experiment_id}", summary="One experiment")
def get(experiment_id: int, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    return platform.experiments.get(experiment_id, account_id).as_dict()


@router.post("/{experiment_id}/assignments", summary="A unit's arm; logs its first exposure")
def assign(
    experiment_id: int, body: AssignmentIn, account_id: CurrentAccount, platform: PlatformDep
) -> dict[str, Any]:
    return platform.experiments.assign(
        experiment_id, body.unit_id, expose=body.expose, actor_id=account_id
    )


@router.get(
    "/{experiment_id}/report",
    summary="Difference in means, Welch 95% interval, CUPED theta and variance reduction",
)
def report(experiment_id: int, account_id: CurrentAccount, platform: PlatformDep) -> dict[str, Any]:
    return platform.experiments.report(experiment_id, account_id)
