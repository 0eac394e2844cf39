"""A facility's web application logging a citizen in through the city's login service with
Authlib, an OpenID Connect client nobody in this project wrote. It is configured only from the
discovery document; the citizen's side is the `dojang wallet login` command.

Environment: LOGIN_DEMO (the JSON line `dojang demo login --stay` prints) and DOJANG_BIN.
Exits non-zero with the reason on the first check that fails."""

import json
import os
import subprocess
import sys
import warnings
from urllib.parse import urljoin, urlparse, parse_qs

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

warnings.filterwarnings("ignore", category=DeprecationWarning)
from authlib.oidc.core import CodeIDToken  # noqa: E402

demo = json.loads(os.environ["LOGIN_DEMO"])
issuer = demo["issuer"]
meta = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
assert meta["issuer"] == issuer, meta
assert "S256" in meta["code_challenge_methods_supported"], meta
assert meta["subject_types_supported"] == ["pairwise"], meta
jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())


def wallet_login(request_uri):
    """The citizen's wallet answers; returns the URL the browser is sent back to."""
    env = dict(os.environ, DOJANG_WALLET=demo["wallet"]["file"], DOJANG_WALLET_PASSPHRASE=demo["wallet"]["passphrase"])
    out = subprocess.run(
        [os.environ["DOJANG_BIN"], "wallet", "login", request_uri, "--node", demo["node"], "--genesis", demo["genesis"]],
        env=env, capture_output=True, text=True, timeout=60,
    )
    lines = out.stdout.splitlines()
    for line in lines:
        if line.startswith("logged in; continue at: "):
            return line.split(": ", 1)[1]
    sys.exit(f"the wallet did not log in: {out.stdout}\n{out.stderr}")


def log_in(facility, action):
    """One login as the facility's software does it; returns the validated ID token's claims."""
    client = OAuth2Session(
        client_id=facility["client_id"], redirect_uri=facility["redirect_uri"], scope="openid",
        code_challenge_method="S256", token_endpoint_auth_method="none",
    )
    verifier, nonce = generate_token(64), generate_token(24)
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce, action=action)
    browser = requests.Session()  # the citizen's browser: the login page is bound to its cookie
    r = browser.get(url, allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].startswith("/login/"), (r.status_code, r.text)
    page_url = urljoin(issuer, r.headers["Location"])
    assert requests.get(page_url, timeout=10).status_code == 403, "another browser cannot follow the login"
    page = browser.get(page_url, headers={"Accept": "application/json"}, timeout=10).json()
    callback = wallet_login(page["request_uri"])
    query = parse_qs(urlparse(callback).query)
    assert callback.startswith(facility["redirect_uri"] + "?"), callback
    assert query["iss"] == [issuer], query  # RFC 9207
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier, state=state)
    decoded = jwt.decode(token["id_token"], jwks, algorithms=["ES256"])
    claims = CodeIDToken(
        decoded.claims, decoded.header,
        options={"iss": {"essential": True, "value": issuer}},
        params={"nonce": nonce, "client_id": facility["client_id"]},
    )
    claims.validate()
    info = client.get(meta["userinfo_endpoint"], timeout=10).json()
    assert info["sub"] == claims["sub"], (info, dict(claims))
    # RFC 6749 §4.1.2: the code is spent; a second exchange is refused.
    again = requests.post(meta["token_endpoint"], data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": facility["redirect_uri"],
        "client_id": facility["client_id"], "code_verifier": verifier}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant", again.text
    return dict(claims)


library, pool = demo["facilities"][0], demo["facilities"][1]
first = log_in(library, "borrow")
assert first["resident_of_seoul"] is True, first
assert "age_over_65" not in first and "program_pseudonyms" not in first, first
assert first["acr"].startswith("urn:dojang:loa:"), first
second = log_in(library, "catalogue")
assert second["sub"] == first["sub"], (first, second)
at_pool = log_in(pool, "book-lane")
assert at_pool["sub"] != first["sub"], "two facilities must not share a subject"
assert "age_over_65" in at_pool, at_pool

# An unregistered redirect URI is shown to the citizen, never redirected to.
bad = OAuth2Session(client_id=library["client_id"], redirect_uri="https://evil.example/cb", scope="openid",
                    code_challenge_method="S256")
url, _ = bad.create_authorization_url(meta["authorization_endpoint"], code_verifier=generate_token(64))
r = requests.get(url, allow_redirects=False, timeout=10)
assert r.status_code == 400 and "Location" not in r.headers, (r.status_code, r.headers)

print(json.dumps({"authlib": "ok", "logins": 3, "library_sub_stable": True, "pairwise": True}))
