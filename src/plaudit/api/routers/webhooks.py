"""/v1/webhooks: endpoints that receive signed events (Standard Webhooks), their delivery log,
redelivery by hand, a test event and secret rotation."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from plaudit.api.deps import ActingApp, CurrentAccount, PlatformDep
from plaudit.webhooks import EVENT_TYPES, Delivery, Endpoint

__all__ = ["router"]

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(..., max_length=2048, description="A public http(s) URL.")
    events: list[str] = Field(
        ..., min_length=1, max_length=16, description=f"Some of: {', '.join(EVENT_TYPES)}."
    )
    organisation_id: int | None = Field(
        None, ge=1, description="Make the organisation's endpoint (you must be an owner)."
    )
    signature: Literal["v1", "v1a"] = Field(
        "v1",
        description="Standard Webhooks scheme: `v1` HMAC-SHA256 with a shared `whsec_` "
        "secret, or `v1a` Ed25519 verified with a `whpk_` public key.",
    )


class EndpointOut(BaseModel):
    id: int
    account_id: int = Field(..., description="Who made it.")
    organisation_id: int | None = Field(..., description="The owning organisation, if any.")
    app_id: int | None = Field(
        ..., description="The third-party app that registered it with its access token, if any."
    )
    signature: str = Field(..., description="`v1` or `v1a`.")
    url: str
    events: list[str]
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


class EndpointCreated(EndpointOut):
    secret: str = Field(
        ..., description="Verify signatures with it: `whsec_...` (v1) or `whpk_...` (v1a)."
    )


class SecretOut(BaseModel):
    secret: str = Field(
        ..., description="The new secret or public key; the old one also signs for 24 h."
    )


class QueuedOut(BaseModel):
    message_id: int


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    msg_id: str = Field(..., description="The `webhook-id` header: deduplicate on it.")
    event_type: str
    payload: dict[str, Any]
    status: str = Field(..., description="pending | delivered | failed")
    attempts: list[AttemptOut]
    next_attempt_at: datetime | None
    created_at: datetime


def endpoint_out(endpoint: Endpoint) -> EndpointOut:
    return EndpointOut(**{**vars(endpoint), "events": list(endpoint.events)})


def delivery_out(delivery: Delivery) -> DeliveryOut:
    return DeliveryOut.model_validate(vars(delivery))


@router.post(
    "/endpoints",
    response_model=EndpointCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Register an endpoint for some events; the answer has its signing secret",
)
def create_endpoint(
    body: EndpointIn, account_id: CurrentAccount, app: ActingApp, platform: PlatformDep
) -> EndpointCreated:
    endpoint, secret = platform.webhooks.create(
        account_id, body.url, body.events, body.organisation_id, body.signature, app
    )
    return EndpointCreated(**endpoint_out(endpoint).model_dump(), secret=secret)


@router.get(
    "/endpoints", response_model=list[EndpointOut], summary="Your endpoints, or an organisation's"
)
def list_endpoints(
    account_id: CurrentAccount,
    app: ActingApp,
    platform: PlatformDep,
    organisation_id: int | None = Query(None, ge=1, description="An organisation you own."),
) -> list[EndpointOut]:
    found = platform.webhooks.endpoints(account_id, organisation_id, app)
    return [endpoint_out(e) for e in found]


@router.delete(
    "/endpoints/{endpoint_id}", response_model=EndpointOut, summary="Disable an endpoint"
)
def disable_endpoint(
    endpoint_id: int, account_id: CurrentAccount, app: ActingApp, platform: PlatformDep
) -> EndpointOut:
    return endpoint_out(platform.webhooks.disable(account_id, endpoint_id, app))


@router.post(
    "/endpoints/{endpoint_id}/secret",
    response_model=SecretOut,
    summary="Rotate the secret: both sign for 24 h",
)
def rotate_secret(
    endpoint_id: int, account_id: CurrentAccount, app: ActingApp, platform: PlatformDep
) -> SecretOut:
    return SecretOut(secret=platform.webhooks.rotate(account_id, endpoint_id, app))


@router.post(
    "/endpoints/{endpoint_id}/test",
    response_model=QueuedOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a webhook.test event to this endpoint",
)
def send_test(
    endpoint_id: int, account_id: CurrentAccount, app: ActingApp, platform: PlatformDep
) -> QueuedOut:
    return QueuedOut(message_id=platform.webhooks.send_test(account_id, endpoint_id, app))


@router.get(
    "/endpoints/{endpoint_id}/deliveries",
    response_model=list[DeliveryOut],
    summary="The delivery log: messages, newest first, with every attempt",
)
def deliveries(
    endpoint_id: int,
    account_id: CurrentAccount,
    app: ActingApp,
    platform: PlatformDep,
    limit: int = Query(50, ge=1, le=200),
) -> list[DeliveryOut]:
    found = platform.webhooks.deliveries(account_id, endpoint_id, limit, app)
    return [delivery_out(d) for d in found]


@router.post(
    "/messages/{message_id}/redeliver",
    response_model=QueuedOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a message again now",
)
def redeliver(
    message_id: int, account_id: CurrentAccount, app: ActingApp, platform: PlatformDep
) -> QueuedOut:
    platform.webhooks.redeliver(account_id, message_id, app)
    return QueuedOut(message_id=message_id)
