"""The recommendation endpoints on both databases: popularity before any model, the engine
after training, consent honoured, and only the account itself may read its lists."""

from __future__ import annotations

from plaudit.recommend import EngineParams

from .conftest import Api, assert_problem

TINY = EngineParams(factors=4, iterations=3)


def _community(api: Api) -> tuple[list[int], list[tuple[int, dict[str, str]]], dict[str, int]]:
    """Two creators (food, gaming), six videos, four fans with food or gaming tastes."""
    maker_a, auth_a = api.account("chef", "creator")
    maker_b, auth_b = api.account("gamer", "creator")
    food = [api.video(auth_a, f"dish {i}", "food") for i in range(3)]
    games = [api.video(auth_b, f"level {i}", "gaming") for i in range(3)]
    fans = [api.account(f"fan{i}") for i in range(4)]
    for number, (_fan, auth) in enumerate(fans):
        liked = food[:2] if number % 2 == 0 else games[:2]
        for video in liked:
            response = api.client.post(f"/v1/videos/{video}/likes", headers=auth)
            assert response.status_code in (200, 201), response.text
    return food + games, fans, {"chef": maker_a, "gamer": maker_b}


def test_popularity_before_a_model_then_the_engine(api: Api) -> None:
    videos, fans, _makers = _community(api)
    fan, auth = fans[0]
    before = api.client.get(f"/v1/accounts/{fan}/recommendations?limit=3", headers=auth)
    assert before.status_code == 200, before.text
    body = before.json()
    assert (body["personalised"], body["basis"], body["reason"]) == (
        False,
        "popularity",
        "no_model",
    )
    assert body["model_id"] is None
    liked = set(videos[:2])
    assert not liked & {item["video_id"] for item in body["items"]}
    assert len(body["items"]) == 3

    api.platform.recommender.train(TINY)
    after = api.client.get(f"/v1/accounts/{fan}/recommendations?limit=10", headers=auth).json()
    assert (after["personalised"], after["basis"], after["reason"]) == (True, "engine", None)
    assert after["model_id"]
    returned = {item["video_id"] for item in after["items"]}
    assert returned
    assert not liked & returned
    assert {"video_id", "creator_id", "category", "score"} == set(after["items"][0])


def test_withdrawn_consent_is_honoured(api: Api) -> None:
    _videos, fans, _makers = _community(api)
    api.platform.recommender.train(TINY)
    fan, auth = fans[1]
    patched = api.client.patch(
        "/v1/me/profile", json={"consent_personalisation": False}, headers=auth
    )
    assert patched.status_code == 200, patched.text
    body = api.client.get(f"/v1/accounts/{fan}/recommendations", headers=auth).json()
    assert (body["personalised"], body["basis"], body["reason"]) == (
        False, "popularity", "no_consent",
    )  # fmt: skip
    creators = api.client.get(f"/v1/accounts/{fan}/recommended-creators", headers=auth).json()
    assert (creators["personalised"], creators["reason"]) == (False, "no_consent")


def test_recommended_creators_skip_followed_ones(api: Api) -> None:
    _videos, fans, makers = _community(api)
    api.platform.recommender.train(TINY)
    fan, auth = fans[0]
    followed = api.client.post(f"/v1/creators/{makers['chef']}/follows", headers=auth)
    assert followed.status_code in (200, 201), followed.text
    body = api.client.get(f"/v1/accounts/{fan}/recommended-creators", headers=auth).json()
    assert body["personalised"] is True
    assert [item["creator_id"] for item in body["items"]] == [makers["gamer"]]


def test_only_the_account_itself_and_valid_limits(api: Api) -> None:
    _videos, fans, _makers = _community(api)
    (fan, auth), (other, _other_auth) = fans[0], fans[1]
    assert_problem(
        api.client.get(f"/v1/accounts/{other}/recommendations", headers=auth), 403, "forbidden"
    )
    assert_problem(
        api.client.get(f"/v1/accounts/{other}/recommended-creators", headers=auth),
        403,
        "forbidden",
    )
    assert_problem(api.client.get(f"/v1/accounts/{fan}/recommendations"), 401, "not-authenticated")
    for limit in ("0", "101", "many"):
        response = api.client.get(f"/v1/accounts/{fan}/recommendations?limit={limit}", headers=auth)
        assert_problem(response, 422, "invalid-input")
