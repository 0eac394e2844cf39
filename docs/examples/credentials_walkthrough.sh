#!/usr/bin/env bash
# Credentials walkthrough (docs/credentials.md), against a node started with
# `dojang dev` (demo keys under $DOJANG_HOME/keys). Sets up the identity registries, runs an
# issuer for the social security agency, receives a credential into a wallet, starts a program
# office's verifier service, answers its signed request within policy, refuses one altered to ask
# beyond it, revokes and reinstates the credential, and applies again in one step. Then prints
# the same steps for a browser (the node's web wallet and the office's console); with STAY=1 it
# keeps the issuer and the office running until Ctrl-C so they can be tried.
set -euo pipefail
D=${D:-target/release/dojang}
HOME_DIR=${DOJANG_HOME:-$HOME/.dojang}
export DOJANG_NODE=${DOJANG_NODE:-http://127.0.0.1:8080}
WORK=${WORK:-$(mktemp -d)}
K=$HOME_DIR/keys
echo "working in $WORK"
# New keys are encrypted at rest (docs/operations.md, "Keys"): a throwaway passphrase in $WORK.
export DOJANG_KEY_PASSPHRASE_FILE=${DOJANG_KEY_PASSPHRASE_FILE:-$WORK/passphrase}
[ -f "$DOJANG_KEY_PASSPHRASE_FILE" ] || (umask 077; head -c 24 /dev/urandom | base64 > "$DOJANG_KEY_PASSPHRASE_FILE")

pub() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["public_key"])' "$1"; }
tx() { $D tx --key "$1" --wait identity "$2" | python3 -c 'import json,sys; r=json.load(sys.stdin)["receipt"]["result"]; print(r); sys.exit(r["status"]!="ok")'; }

# 1. The city (admin) registers itself as the trust root and defines a credential type.
$D keys new --out "$WORK/city-signing.json" --algorithm p256 >/dev/null
tx "$K/admin.json" '{"type":"register_org","did":"did:web:seoul.go.kr","kid":"root-1","public_key":"'"$(pub "$WORK/city-signing.json")"'"}'
# Naming the trust root is the council's decision; on a dev chain the admin is a council of one.
$D gov propose --key "$K/admin.json" --module identity --reason "the city is the trust root" '{"type":"set_root","did":"did:web:seoul.go.kr"}'
tx "$K/admin.json" '{"type":"register_type","vct":"urn:dojang:income-band:1","schema_hash":"'"$(printf 'income-band schema v1' | sha256sum | cut -c1-64)"'","concealable":["income_le_65pct","income_le_150pct","household_size"],"thresholds":["income_le_65pct","income_le_150pct"]}'

# 2. The social security agency registers its organisation and signing key; the city accredits it.
$D keys new --out "$WORK/ssis-signing.json" --algorithm p256 >/dev/null
tx "$K/social-security.json" '{"type":"register_org","did":"did:web:ssis.seoul.go.kr","kid":"sign-1","public_key":"'"$(pub "$WORK/ssis-signing.json")"'"}'
tx "$K/admin.json" '{"type":"accredit","issuer":"did:web:ssis.seoul.go.kr","vct":"urn:dojang:income-band:1"}'

# 3. The public-works office registers itself and the policy it will ask under.
$D keys new --out "$WORK/office-signing.json" --algorithm p256 >/dev/null
tx "$K/public-works-office.json" '{"type":"register_org","did":"did:web:jobs.seoul.go.kr","kid":"o-1","public_key":"'"$(pub "$WORK/office-signing.json")"'"}'
POLICY_DCQL='{"credentials":[{"id":"income","format":"dc+sd-jwt","meta":{"vct_values":["urn:dojang:income-band:1"]},"claims":[{"path":["income_le_65pct"]},{"path":["household_size"]}]}]}'
tx "$K/public-works-office.json" '{"type":"register_policy","id":"jobs.public-works.2026","verifier":"did:web:jobs.seoul.go.kr","legal_basis":"Framework Act on Employment Policy art. 16","purpose":"selecting public-works workers","retention_days":365,"dcql":'"$POLICY_DCQL"'}'

# 4. The agency runs its issuer over its own records (never the chain).
cat > "$WORK/records.json" <<JSON
{"credential_configurations": {"income_band": {"vct": "urn:dojang:income-band:1", "validity_days": 90}},
 "subjects": {"S-0001": {"income_band": {"income_le_65pct": true, "income_le_150pct": true, "household_size": 2, "monthly_income_krw": 1450000}}}}
JSON
CHAIN=$($D status | python3 -c 'import json,sys; print(json.load(sys.stdin)["chain_id"])')
cat > "$WORK/issuer.toml" <<TOML
[issuer]
did = "did:web:ssis.seoul.go.kr"
kid = "sign-1"
public_url = "http://127.0.0.1:8090"
wallet_url = "$DOJANG_NODE"

[service]
listen_addr = "127.0.0.1:8090"
signing_key = "ssis-signing.json"
account_key = "$K/social-security.json"
records = "records.json"
state_dir = "issuer-state"
node = "$DOJANG_NODE"
chain_id = "$CHAIN"
admin_token = "change-me-change-me"
TOML
$D issuer --config "$WORK/issuer.toml" > "$WORK/issuer.log" 2>&1 &
ISSUER=$!
trap 'kill $ISSUER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:8090/.well-known/openid-credential-issuer >/dev/null && break; sleep 0.2; done

# 5. The desk makes an offer (with a PIN sent separately); the citizen's wallet receives it.
OFFER=$(curl -sf -XPOST http://127.0.0.1:8090/admin/offers -H 'authorization: Bearer change-me-change-me' \
  -H 'content-type: application/json' -d '{"subject":"S-0001","credential_configuration_id":"income_band","pin":true}')
export DOJANG_WALLET="$WORK/wallet.json" DOJANG_WALLET_PASSPHRASE="a long wallet passphrase"
# The wallet pins the chain from the genesis the city publishes, never from the node it asks.
export DOJANG_GENESIS="$HOME_DIR/genesis.json"
$D wallet init
$D wallet receive "$(echo "$OFFER" | python3 -c 'import json,sys; print(json.load(sys.stdin)["credential_offer_uri"])')" \
  --pin "$(echo "$OFFER" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tx_code"])')" --copies 3
$D wallet list

# 6. The office runs a program under its policy and its verifier service, which serves signed
#    requests at /programs/<id>/request and takes answers at /response.
NOW_MS=$(($(date +%s) * 1000))
SEED=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
COMMIT=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes.fromhex(sys.argv[1])).hexdigest())' "$SEED")
$D tx --key "$K/public-works-office.json" --wait eligibility '{"type":"register_program","id":"public-works.2026-h1","office":"did:web:jobs.seoul.go.kr","name":"public-works job","policy":"jobs.public-works.2026","window_opens_ms":'"$NOW_MS"',"window_closes_ms":'"$((NOW_MS + 3600000))"',"quota":60,"seed_commitment":"'"$COMMIT"'"}' >/dev/null
$D tx --key "$K/public-works-office.json" --wait eligibility '{"type":"publish_rule_set","program":"public-works.2026-h1","version":1,"rules":{"conditions":[{"id":"income_le_65pct","credential":"income","claim":["income_le_65pct"],"op":"equals","value":true,"reason":"household income is above 65% of the median"}]}}' >/dev/null
# The office's staff log in to its console (/console) with accounts from its config.
STAFF_PASSWORD="console password for the walkthrough"
STAFF_HASH=$(printf '%s\n' "$STAFF_PASSWORD" | $D verifier hash-password)
cat > "$WORK/verifier.toml" <<TOML
[office]
did = "did:web:jobs.seoul.go.kr"
kid = "o-1"
signing_key = "office-signing.json"
public_url = "http://127.0.0.1:8091"
listen_addr = "127.0.0.1:8091"
node = "$DOJANG_NODE"
genesis = "$HOME_DIR/genesis.json"
store = "office-decisions.redb"
programs = ["public-works.2026-h1"]
wallet_url = "$DOJANG_NODE"
account_key = "$K/public-works-office.json"
anchor_interval_s = 2

[[office.staff]]
user = "officer.kim"
password_hash = "$STAFF_HASH"
TOML
# (DOJANG_GENESIS is the wallet's; the service takes its genesis from its file.)
$D verifier --config "$WORK/verifier.toml" > "$WORK/verifier.log" 2>&1 &
VERIFIER=$!
trap 'kill $ISSUER $VERIFIER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:8091/programs/public-works.2026-h1/request && break; sleep 0.2; done

# 7. The citizen fetches the office's signed request and answers it. The wallet opens it only if
#    a key the chain registers for the office signed it and it asks no more than the registered
#    policy allows; it then discloses just those claims, from one unused single-use copy.
REQ_URL=http://127.0.0.1:8091/programs/public-works.2026-h1/request
curl -sf "$REQ_URL" > "$WORK/request.jwt"
$D wallet present "$WORK/request.jwt" --out "$WORK/answer.json"
RESPONSE_URI=$(python3 -c 'import base64,json,sys; p=open(sys.argv[1]).read().split(".")[1]; print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))["response_uri"])' "$WORK/request.jwt")
# The answer goes to the office as a form (OpenID4VP direct_post): vp_token and state.
curl -sf -XPOST "$RESPONSE_URI" \
  --data-urlencode "vp_token=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["vp_token"]))' "$WORK/answer.json")" \
  --data-urlencode "state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$WORK/answer.json")" \
  | python3 -c 'import json,sys; a=json.load(sys.stdin); print("decision:", a["decision"]); sys.exit(a["decision"] is None)'

# A request beyond the policy is refused with a reason, and nothing is disclosed: here the
# fetched request is altered to ask for the income itself as well (monthly_income_krw, which the
# registered policy does not allow). Its signature no longer verifies with the office's key.
python3 - "$WORK/request.jwt" > "$WORK/greedy.jwt" <<'PY'
import base64, json, sys
h, p, s = open(sys.argv[1]).read().strip().split(".")
claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
claims["dcql_query"]["credentials"][0]["claims"].append({"path": ["monthly_income_krw"]})
p = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
print(f"{h}.{p}.{s}")
PY
if $D wallet present "$WORK/greedy.jwt" --out "$WORK/greedy-answer.json" 2> "$WORK/refusal.txt"; then
  echo "the wallet answered a request beyond the policy" >&2; exit 1
fi
grep -q "does not verify" "$WORK/refusal.txt" || { cat "$WORK/refusal.txt" >&2; exit 1; }
echo "refused: $(head -n1 "$WORK/refusal.txt")"
[ ! -e "$WORK/greedy-answer.json" ]
$D wallet history

# 8. The agency revokes the credential: a new status list version, anchored on chain.
curl -sf -XPOST http://127.0.0.1:8090/admin/status -H 'authorization: Bearer change-me-change-me' \
  -H 'content-type: application/json' -d '{"subject":"S-0001","credential_configuration_id":"income_band","status":"revoked"}'
echo
$D query identity status did=did:web:ssis.seoul.go.kr uri=http://127.0.0.1:8090/status/1

# 9. The agency reinstates the credential (a new anchored version); the citizen applies in one
#    step (`wallet apply` fetches, checks and answers the request, and keeps the receipt).
curl -sf -XPOST http://127.0.0.1:8090/admin/status -H 'authorization: Bearer change-me-change-me' \
  -H 'content-type: application/json' -d '{"subject":"S-0001","credential_configuration_id":"income_band","status":"valid"}' >/dev/null
$D wallet apply http://127.0.0.1:8091/programs/public-works.2026-h1/request
$D wallet history
sleep 4   # the service anchors its decisions every anchor_interval_s
$D query eligibility batch/public-works.2026-h1/1

# 10. The same in a browser. A fresh offer opens in the node's web wallet (a QR code holding this
#     link does the same from a phone); the wallet then applies with the office's request link,
#     showing exactly what it discloses; the office's staff see the decision in its console.
OFFER2=$(curl -sf -XPOST http://127.0.0.1:8090/admin/offers -H 'authorization: Bearer change-me-change-me' \
  -H 'content-type: application/json' -d '{"subject":"S-0001","credential_configuration_id":"income_band","pin":false}')
echo "$OFFER2" | python3 -c 'import json,sys; open(sys.argv[1],"w").write(json.load(sys.stdin)["qr_svg"])' "$WORK/offer-qr.svg"
echo "web wallet, receive: $(echo "$OFFER2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["wallet_link"])')  (QR code: $WORK/offer-qr.svg)"
echo "program page, apply: http://127.0.0.1:8091/programs/public-works.2026-h1"
echo "office console:      http://127.0.0.1:8091/console  (user officer.kim, password: $STAFF_PASSWORD)"
if [ "${STAY:-}" = 1 ]; then
  echo "the issuer and the office keep running; Ctrl-C stops them"
  wait "$VERIFIER"
fi
