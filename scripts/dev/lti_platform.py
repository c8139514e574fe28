"""The LMS of the LTI tests: lti1p3platform 0.1.8 (the platform side of LTI 1.3, written by
the OpenLearning LMS team) behind a small FastAPI app, with its own RSA key and key set.

    lti_platform.py PORT TOOL_URL [CLIENT_ID DEPLOYMENT_ID]

prints its URL once it listens. A course page (/course?user=ada&role=admin) shows the tool
in a frame as an LMS does: the frame starts the OIDC login at TOOL_URL/lti/login, the
library answers the tool's authorization request with a signed id_token posted to
TOOL_URL/lti/launch. role: admin (institution Administrator), manager (a custom role named
manager), instructor, learner. kind=deeplink makes it a deep-linking launch, whose answer
comes back to /deep_link_return; target=URL launches a link a deep-linking answer made.
/tools/register?url=LINK opens a tool's dynamic registration link as Moodle does (an
iframe, a registration token, a close message); lti1p3platform has no dynamic
registration, so its two endpoints are written here after the spec.
What the library leaves unchecked (the tool's authorization request: redirect_uri, scope,
response type and mode; the deep-linking answer: iss, aud, deployment, data, expiry) is
checked here.
"""
import json
import base64
import hashlib
import hmac
import html
import socket
import sys
import threading
import time
import typing as t
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from lti1p3platform.framework.templates import template
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LTIRequest
from lti1p3platform.service_connector import NamesRoleProvisioningService
from lti1p3platform.membership import Context

PORT = int(sys.argv[1])
TOOL = sys.argv[2].rstrip("/")
CLIENT_ID = sys.argv[3] if len(sys.argv) > 3 else "edcontrol-client"
DEPLOYMENT_ID = sys.argv[4] if len(sys.argv) > 4 else "deployment-1"
PLATFORM = f"http://127.0.0.1:{PORT}"

_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE = _key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
PUBLIC = _key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

ROLES = {
    "admin": ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
              "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    "manager": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Manager"],
    "instructor": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"],
    "learner": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
}
NAMES = {"ada": "Ada Lovelace", "bob": "Bob Brown", "cleo": "Cleo Park"}


class Platform(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kw: t.Any) -> None:
        self._registration = self.get_registration_by_params()

    def get_registration_by_params(self, **kw: t.Any) -> Registration:
        return (Registration().set_iss(PLATFORM).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
                .set_oidc_login_url(f"{TOOL}/lti/login").set_launch_url(f"{TOOL}/lti/launch")
                .set_deeplink_launch_url(f"{TOOL}/lti/launch").set_tool_key_set_url(f"{TOOL}/lti/jwks")
                .set_platform_public_key(PUBLIC).set_platform_private_key(PRIVATE))


CONF = Platform()
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
MEMBERS = [
    {"user_id": "cleo", "name": "Cleo Park", "email": "cleo@school.example", "roles": [INSTRUCTOR], "status": "Active"},
    {"user_id": "dan", "name": "Dan Brook", "email": "dan@school.example", "roles": [INSTRUCTOR], "status": "Active"},
    {"user_id": "eve", "name": "Eve Gone", "email": "eve@school.example", "roles": [INSTRUCTOR], "status": "Inactive"},
    {"user_id": "bob", "name": "Bob Brown", "email": "bob@school.example", "roles": ROLES["learner"], "status": "Active"},
]
USED_ASSERTIONS: set = set()
DL_DATA = "course-1/opaque-42"
ADDED: list = []


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kw: t.Any) -> None:
        self._lti_message_hint = kw["hint"]

    def get_redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=302)


class Launch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, params: dict, conf: LTI1P3PlatformConfAbstract) -> None:
        super().__init__(None, conf)  # type: ignore[arg-type]
        self._params = params

    def get_preflight_response(self) -> dict:
        return self._params

    def prepare_launch(self, preflight: dict) -> None:
        user = preflight["login_hint"]
        hint = json.loads(preflight.get("lti_message_hint") or "{}")
        self.set_user_data(user, ROLES[hint.get("role", "learner")], full_name=NAMES.get(user, user), email_address=f"{user}@school.example")
        self.set_launch_context_claim("course-1", ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"], "Algebra 1", "ALG1")
        self.set_resource_link_claim("link-1", title="Lesson analytics")
        self.set_nrps(f"{PLATFORM}/nrps/course-1/memberships")
        if hint.get("target"):
            self.set_launch_url(hint["target"])
        if hint.get("kind") == "deeplink":
            self.set_dl(f"{PLATFORM}/deep_link_return", accept_types={"ltiResourceLink"})
            # The spec's data is an opaque string (the library would write an object).
            self._deep_linking_launch_data["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["data"] = DL_DATA

    def render_launch_form(self, launch_data: dict, **kw: t.Any) -> HTMLResponse:
        return HTMLResponse(template.render(launch_data))


app = FastAPI()


@app.get("/.well-known/jwks.json")
def jwks() -> dict:
    return CONF.get_jwks()


@app.get("/course", response_class=HTMLResponse)
def course(user: str = "ada", role: str = "admin", kind: str = "launch", target: str = "") -> str:
    start = html.escape("/start?" + urlencode({"user": user, "role": role, "kind": kind, "target": target}))
    return (f"<!doctype html><title>Algebra 1</title><h1>Algebra 1 (test LMS)</h1><p>Signed in as {html.escape(user)}</p>"
            f'<iframe id="tool" src="{start}" width="1200" height="700" title="EdControl"></iframe>')


@app.get("/start")
def start(user: str = "ada", role: str = "admin", kind: str = "launch", target: str = ""):
    login = Login(None, CONF)  # type: ignore[arg-type]
    login.set_lti_message_hint(hint=json.dumps({"role": role, "kind": kind, "target": target}))
    if kind == "deeplink":
        login.set_deeplinking_launch_url()
    if target:
        login.set_launch_url(target)
    return login.initiate_login(user)


@app.post("/deep_link_return", response_class=HTMLResponse)
async def deep_link_return(request: Request):
    form = dict(await request.form())
    try:
        items = CONF.validate_deeplinking_resp(form)  # the signature, against the tool's key set
        claims = jwt.decode(form["JWT"], options={"verify_signature": False})
        problems = [name for name, ok in (
            ("iss", claims.get("iss") == CLIENT_ID), ("aud", claims.get("aud") == PLATFORM),
            ("deployment_id", claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id") == DEPLOYMENT_ID),
            ("data", claims.get("https://purl.imsglobal.org/spec/lti-dl/claim/data") == DL_DATA),
            ("exp", claims.get("exp", 0) > time.time()), ("nonce", bool(claims.get("nonce")))) if not ok]
        if problems:
            raise ValueError("wrong " + ", ".join(problems))
    except Exception as error:  # the library raises its own exceptions and PyJWT's
        return HTMLResponse(f"<!doctype html><title>Refused</title><p id='refused'>{html.escape(repr(error))}</p>", status_code=400)
    ADDED.extend(items)
    rows = "".join(f"<li><a href='/course?{html.escape(urlencode({'user': 'ada', 'role': 'admin', 'target': item['url']}))}'>"
                   f"{html.escape(item['title'])}</a> <code>{html.escape(item['url'])}</code></li>" for item in items)
    return f"<!doctype html><title>Added</title><h1>Added to Algebra 1</h1><ul id='added'>{rows}</ul>"


@app.api_route("/authorize", methods=["GET", "POST"])
async def authorize(request: Request):
    params = dict(request.query_params) if request.method == "GET" else dict(await request.form())
    problems = [name for name, expected in (("scope", "openid"), ("response_type", "id_token"), ("response_mode", "form_post"),
                                            ("redirect_uri", f"{TOOL}/lti/launch"), ("client_id", CLIENT_ID))
                if params.get(name) != expected]
    if problems or not params.get("state") or not params.get("nonce"):
        return JSONResponse({"error": "invalid_request", "wrong": problems}, status_code=400)
    return Launch(params, CONF).lti_launch()


@app.post("/token")
async def token(request: Request):
    form = dict(await request.form())
    try:
        answer = CONF.get_access_token(form)  # the assertion's signature, against the tool's key set
        claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
        problems = [name for name, ok in (
            ("client_assertion_type", form.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("iss", claims.get("iss") == CLIENT_ID), ("sub", claims.get("sub") == CLIENT_ID), ("aud", claims.get("aud") == f"{PLATFORM}/token"),
            ("exp", time.time() < claims.get("exp", 0) <= time.time() + 3600), ("jti", claims.get("jti") and claims["jti"] not in USED_ASSERTIONS),
            ("scope", "contextmembership.readonly" in answer.get("scope", ""))) if not ok]
        if problems:
            raise ValueError("wrong " + ", ".join(problems))
        USED_ASSERTIONS.add(claims["jti"])
        return answer
    except Exception as error:  # the library raises its own exceptions and PyJWT's
        return JSONResponse({"error": "invalid_client", "error_description": repr(error)}, status_code=400)


class Memberships(NamesRoleProvisioningService):
    def get_context_by_id(self) -> Context:
        return Context(id="course-1", label="ALG1", title="Algebra 1")

    def get_member_data_page(self, page=1, limit=None, role=None, since=None, **kw):  # **kw: the library passes every query parameter
        return {"content": [dict(member) for member in MEMBERS], "has_next": False}

    def is_resource_link_valid(self, context_id: str, resource_link_id: str) -> bool:
        return resource_link_id == "link-1"


class PlainRequest(LTIRequest):
    def build_metadata(self, request: dict) -> dict:
        return request


@app.get("/nrps/{course}/memberships")
def memberships(course: str, request: Request):
    # The library reads the Authorization header case-sensitively: it gets Starlette's headers themselves.
    plain = PlainRequest({"method": "GET", "get_data": dict(request.query_params), "headers": request.headers, "form_data": {},
                          "json": None, "content_type": None, "path": request.url.path})
    service = Memberships(plain, CONF, f"{PLATFORM}/nrps/{course}/memberships")
    try:
        answer = service.handle_resp(service.handle_get_members)
    except Exception as error:  # the library lets PyJWT's errors out
        return JSONResponse({"error": repr(error)}, status_code=401)
    body = answer.result if 200 <= answer.code < 300 else {"error": answer.message}
    return JSONResponse(body, status_code=answer.code, media_type=answer.media_type)


REGISTRATION_TOKEN = "registration-token-7"
REGISTERED: list = []


@app.get("/.well-known/openid-configuration")
def openid_configuration() -> dict:
    return {"issuer": PLATFORM, "authorization_endpoint": f"{PLATFORM}/authorize", "token_endpoint": f"{PLATFORM}/token",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"], "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": f"{PLATFORM}/.well-known/jwks.json", "registration_endpoint": f"{PLATFORM}/register",
            "scopes_supported": ["openid", "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"],
            "response_types_supported": ["id_token"], "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"], "claims_supported": ["iss", "sub", "name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "lti1p3platform-test", "version": "0.1.8",
                "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}]}}


@app.post("/register")
async def register(request: Request):
    if request.headers.get("authorization") != f"Bearer {REGISTRATION_TOKEN}":
        return JSONResponse({"error": "invalid_token"}, status_code=401)
    body = await request.json()
    tool = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {})
    problems = [name for name, ok in (
        ("initiate_login_uri", body.get("initiate_login_uri") == f"{TOOL}/lti/login"),
        ("redirect_uris", f"{TOOL}/lti/launch" in body.get("redirect_uris", [])),
        ("jwks_uri", body.get("jwks_uri") == f"{TOOL}/lti/jwks"),
        ("token_endpoint_auth_method", body.get("token_endpoint_auth_method") == "private_key_jwt"),
        ("response_types", body.get("response_types") == ["id_token"]),
        ("target_link_uri", tool.get("target_link_uri") == f"{TOOL}/lti/launch"),
        ("messages", {m.get("type") for m in tool.get("messages", [])} >= {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"})) if not ok]
    if problems:
        return JSONResponse({"error": "invalid_client_metadata", "error_description": "wrong " + ", ".join(problems)}, status_code=400)
    REGISTERED.append(body)
    answer = dict(body, client_id=CLIENT_ID)
    answer["https://purl.imsglobal.org/spec/lti-tool-configuration"] = dict(tool, deployment_id=DEPLOYMENT_ID)
    return JSONResponse(answer)


@app.get("/tools/register", response_class=HTMLResponse)
def register_tool(url: str) -> str:
    frame = url + ("&" if "?" in url else "?") + urlencode({"openid_configuration": f"{PLATFORM}/.well-known/openid-configuration",
                                                         "registration_token": REGISTRATION_TOKEN})
    return (f"<!doctype html><title>Register a tool</title><h1>Register a tool (test LMS)</h1><p id='state'>open</p>"
            f'<iframe id="tool" src="{html.escape(frame)}" width="1200" height="600"></iframe>'
            "<script>addEventListener('message', e => { if (e.data && e.data.subject === 'org.imsglobal.lti.close') "
            "{ document.getElementById('state').textContent = 'closed'; } });</script>")


@app.post("/test/sign")
async def sign(request: Request):
    """Signs claims as the refusal tests need them: with the platform's key ("platform"), with
    a key not in its key set ("foreign"), unsigned ("none"), or HS256 with the platform's
    public key as the secret ("hs256-public-key", the classic algorithm-confusion forgery)."""
    body = await request.json()
    claims, mode = body["claims"], body["mode"]
    kid = CONF.get_jwks()["keys"][0]["kid"]
    if mode == "platform":
        return {"token": jwt.encode(claims, PRIVATE, algorithm="RS256", headers={"kid": kid})}
    if mode == "foreign":
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return {"token": jwt.encode(claims, other, algorithm="RS256", headers={"kid": "not-the-platforms-key"})}

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    if mode == "none":
        return {"token": part({"alg": "none", "typ": "JWT", "kid": kid}) + "." + part(claims) + "."}
    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + part(claims)
    mac = hmac.new(PUBLIC.encode(), signing_input.encode(), hashlib.sha256).digest()
    return {"token": signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()}


def serve() -> None:
    config = uvicorn.Config(app, host="127.0.0.1", port=PORT, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    print(PLATFORM, flush=True)
    thread.join()


if __name__ == "__main__":
    serve()
