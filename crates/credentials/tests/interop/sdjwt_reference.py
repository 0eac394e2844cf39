"""Interoperability with the IETF reference implementation of SD-JWT (PyPI `sd-jwt`).

Reads one JSON request on stdin and writes one JSON answer on stdout:
- {"mode": "verify", "presentation", "issuer_jwk", "nonce", "aud"}: verifies a presentation
  made by dojang (issuer signature, disclosures, key binding) and answers the disclosed claims.
- {"mode": "key"}: a fresh P-256 issuer key, private and public JWK.
- {"mode": "issue", "issuer_private_jwk", "claims", "always", "disclose", "nonce", "aud", "kid"}:
  issues an SD-JWT with that issuer key and a fresh holder key, and makes a key-bound
  presentation disclosing `disclose`, for dojang to verify.
"""
import json
import sys

from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier


def verify(req):
    issuer_key = JWK.from_json(json.dumps(req["issuer_jwk"]))
    verifier = SDJWTVerifier(
        req["presentation"],
        lambda iss, header: issuer_key,
        expected_aud=req["aud"],
        expected_nonce=req["nonce"],
    )
    return {"claims": verifier.get_verified_payload()}


def key(_req):
    k = JWK.generate(kty="EC", crv="P-256")
    return {"private": k.export_private(as_dict=True), "public": k.export_public(as_dict=True)}


def issue(req):
    issuer_key = JWK.from_json(json.dumps(req["issuer_private_jwk"]))
    holder_key = JWK.generate(kty="EC", crv="P-256")
    claims = dict(req["always"])
    for name, value in req["claims"].items():
        claims[SDObj(name)] = value
    issuer = SDJWTIssuer(
        claims,
        issuer_key,
        holder_key,
        add_decoy_claims=True,
        extra_header_parameters={"typ": "dc+sd-jwt", "kid": req["kid"]},
    )
    holder = SDJWTHolder(issuer.sd_jwt_issuance)
    holder.create_presentation({name: True for name in req["disclose"]}, req["nonce"], req["aud"], holder_key)
    return {"presentation": holder.sd_jwt_presentation}


def main():
    req = json.load(sys.stdin)
    answer = {"verify": verify, "key": key, "issue": issue}[req["mode"]](req)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
