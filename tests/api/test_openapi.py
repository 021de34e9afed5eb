"""The OpenAPI document stays complete: every route has a contract, every operation its
problems, security and pagination, every problem type of the hierarchy a place in it."""

from __future__ import annotations

from typing import Any

import pytest

from plaudit import errors
from plaudit.api import create_app
from plaudit.api.contract import OPERATIONS, RESOURCES
from plaudit.api.openapi import API_KEY_SCHEME, OAUTH_SCHEME, TOKEN_SCHEME, complete_openapi
from plaudit.api.problems import PROBLEM_JSON
from plaudit.config import Settings
from plaudit.oauth import APP_RESOURCES

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("openapi") / "data"
    doc: dict[str, Any] = create_app(Settings(data_dir=str(data))).openapi()
    return doc


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_every_route_has_a_contract_and_every_contract_a_route(document: dict[str, Any]) -> None:
    keys = {key for key, _ in operations(document)}
    assert keys == set(OPERATIONS)


def test_a_route_without_a_contract_stops_the_document() -> None:
    doc = {"openapi": "3.1.0", "paths": {"/v1/new": {"get": {"responses": {}}}}}
    with pytest.raises(KeyError, match="GET /v1/new"):
        complete_openapi(doc)


def test_every_error_is_a_problem_of_the_shared_schema(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    for key, op in operations(document):
        errors_ = {code: r for code, r in op["responses"].items() if code[0] in "45"}
        assert {"500", "503"} <= set(errors_), key
        for code, response in errors_.items():
            content = response["content"]
            if OPERATIONS[key].oauth and code in ("400", "401"):  # RFC 6749 5.2's own shape
                ref = {"$ref": "#/components/schemas/OAuthError"}
                assert content == {"application/json": {"schema": ref}}, key
                continue
            assert list(content) == [PROBLEM_JSON], (key, code)
            schema = content[PROBLEM_JSON]["schema"]
            assert schema["allOf"][0] == {"$ref": "#/components/schemas/Problem"}
            types = schema["allOf"][1]["properties"]["type"]["enum"]
            examples = content[PROBLEM_JSON]["examples"]
            assert [e["value"]["type"] for e in examples.values()] == types, (key, code)
            assert all(e["value"]["status"] == int(code) for e in examples.values())


def test_operations_with_input_document_invalid_input(document: dict[str, Any]) -> None:
    for key, op in operations(document):
        if op.get("parameters") or op.get("requestBody"):
            assert "422" in op["responses"], key
        if op.get("requestBody"):
            assert {"413", "422"} <= set(op["responses"]), key  # 422 malformed-body too


def test_security_names_roles_and_scopes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) == {TOKEN_SCHEME, API_KEY_SCHEME, OAUTH_SCHEME}
    for key, op in operations(document):
        contract = OPERATIONS[key]
        if contract.public:
            assert "security" not in op, key
            # the OAuth endpoints authenticate the app in the form: 401 invalid_client
            assert ("401" in op["responses"]) == contract.oauth, key
            continue
        assert op["security"][0] == {TOKEN_SCHEME: list(contract.who)}, key
        assert {"401", "403"} <= set(op["responses"]), key
        if contract.scope:
            resource, _, access = contract.scope.partition(":")
            assert resource in RESOURCES, key
            assert access in ("read", "write"), key
            assert op["security"][1] == {API_KEY_SCHEME: [contract.scope]}
            apps_may = resource in APP_RESOURCES
            assert ({OAUTH_SCHEME: [contract.scope]} in op["security"]) == apps_may, key


def test_writes_need_write_scopes(document: dict[str, Any]) -> None:
    for key, contract in OPERATIONS.items():
        if contract.scope and key.startswith(("PUT", "PATCH", "DELETE")):
            assert contract.scope.endswith(":write"), key


def test_pagination_is_described_the_same_everywhere(document: dict[str, Any]) -> None:
    paginated = [
        (key, op)
        for key, op in operations(document)
        if {"$ref": "#/components/parameters/Cursor"} in op.get("parameters", [])
    ]
    assert len(paginated) >= 3
    for key, op in paginated:
        assert op["x-pagination"] == {"style": "cursor", "cursor": "cursor", "next": "next_cursor"}
        assert not any(p.get("name") == "cursor" for p in op["parameters"]), key
    schemas = document["components"]["schemas"]
    pages = [s for s in schemas.values() if "next_cursor" in s.get("properties", {})]
    assert len({p["properties"]["next_cursor"]["description"] for p in pages}) == 1


def test_every_problem_type_of_the_hierarchy_is_documented(document: dict[str, Any]) -> None:
    documented = {
        t
        for _, op in operations(document)
        for code, response in op["responses"].items()
        if code[0] in "45" and PROBLEM_JSON in response["content"]
        for t in response["content"][PROBLEM_JSON]["schema"]["allOf"][1]["properties"]["type"][
            "enum"
        ]
    }
    hierarchy = {
        errors.PROBLEM_BASE + cls.type
        for name in errors.__all__
        if isinstance(cls := getattr(errors, name), type) and issubclass(cls, errors.PlauditError)
    }
    # raised at start-up or by batch commands (a lake at a URL without fsspec), never by a route
    startup_only = {errors.PROBLEM_BASE + t for t in ("config-error", "missing-dependency")}
    assert hierarchy - startup_only <= documented, hierarchy - startup_only - documented


def test_non_json_answers_say_their_media_type(document: dict[str, Any]) -> None:
    ok = document["paths"]["/v1/campaigns/{campaign_id}/report.csv"]["get"]["responses"]["200"]
    assert list(ok["content"]) == ["text/csv"]
    tile = document["paths"]["/ledger/tile/{tile_path}"]["get"]["responses"]["200"]
    assert list(tile["content"]) == ["application/octet-stream"]


def test_the_oauth2_scheme_names_the_flow_and_every_app_scope(document: dict[str, Any]) -> None:
    flow = document["components"]["securitySchemes"][OAUTH_SCHEME]["flows"]["authorizationCode"]
    assert flow["authorizationUrl"] == "/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == "/v1/oauth/token"
    assert set(flow["scopes"]) == {f"{r}:{a}" for r in APP_RESOURCES for a in ("read", "write")}
    token = document["paths"]["/v1/oauth/token"]["post"]
    form = token["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"grant_type", "code", "redirect_uri", "code_verifier", "refresh_token"} <= set(
        form["properties"]
    )
    assert not any(
        p.get("$ref", "").endswith("IdempotencyKey") for p in token.get("parameters", [])
    )
    revoke = document["paths"]["/v1/oauth/revoke"]["post"]["responses"]
    assert "content" not in revoke["200"]  # RFC 7009 2.2: an empty 200


def test_every_json_success_answer_has_an_example_that_fits_its_schema(
    document: dict[str, Any],
) -> None:
    import jsonschema_rs  # schemathesis' validator

    checked = 0
    for _, op in operations(document):
        for code, response in op["responses"].items():
            media = response.get("content", {}).get("application/json")
            if not code.startswith("2") or media is None or "schema" not in media:
                continue
            schema = {**media["schema"], "components": document["components"]}
            jsonschema_rs.Draft202012Validator(schema).validate(media["example"])
            checked += 1
    assert checked > 80
