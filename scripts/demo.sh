#!/usr/bin/env bash
# The main job on the examples: set up, build, create a throwaway SoftHSM store and a demo
# station with its CA, issue every example order onto its own SoftHSM token, and print each
# order's four forms (application, authorization, seal collection, delivery note).
#   scripts/demo.sh [OUT_DIR]      (default: demo-out/ in the checkout; recreated each run)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/demo-out}
"$here/scripts/setup.sh" "$here/build"
sealkey=$here/build/cli/sealkey

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
eval "$("$here/softhsm-config/new-store.sh" "$out/softhsm")"
station=$out/station
mkdir -p "$station"
cp "$here/examples/station.json" "$station/station.json"
# Demo secrets: random, in 0600 files that station.json names (file:so-pin, file:ca-pass).
umask 077
head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$station/so-pin"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$station/ca-pass"
umask 022
export SEALKEY_OPERATOR=demo

"$sealkey" order check --station "$station" "$here/examples/orders.json"
"$sealkey" ca init --station "$station"
for order in $(grep -o '"order_number": *"[^"]*"' "$here/examples/orders.json" | sed 's/.*: *"\(.*\)"/\1/'); do
    "$sealkey" issue --station "$station" --orders "$here/examples/orders.json" --order "$order"
done
# The papers of each order, U+20BB7 in JX2026-000101's legal representative's name included.
for order in $(grep -o '"order_number": *"[^"]*"' "$here/examples/orders.json" | sed 's/.*: *"\(.*\)"/\1/'); do
    for form in application authorization seal-collection delivery; do
        "$sealkey" form "$form" --station "$station" --orders "$here/examples/orders.json" \
            --order "$order" -o "$station/out/$order/$form.pdf"
    done
done
"$sealkey" status --station "$station"
# The CA's promise, checked: every certificate signed is live on one verified token the
# ledger knows, or revoked; every token is accounted for; the audit log is whole.
"$sealkey" ledger reconcile --station "$station"

# One SM2 order on a soft SKF (GM/T 0016) device, with a dual certificate from the KMC
# stand-in (docs/skf.md): a second station, token_api "skf", the test SKF library.
skf_station=$out/skf-station
export SKFSOFT_DIR=$out/skf-devices
mkdir -p "$skf_station" "$SKFSOFT_DIR/usbkey-1"
umask 077
head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$skf_station/so-pin" # SKF PINs: 6-16
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$skf_station/ca-pass"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$skf_station/kmc-secret"
printf '%s' 1234567812345678 > "$skf_station/dev-auth" # the soft device's factory key
umask 022
cat > "$skf_station/station.json" <<JSON
{
  "station_id": "JX-NC-SM2",
  "token_api": "skf",
  "skf_library": "$here/build/tests/skfsoft/libskfsoft.so",
  "skf_auth_key": "file:dev-auth",
  "kmc": {"escrow_dir": "kmc", "escrow_secret": "file:kmc-secret"},
  "ca": {"name": "sealkey Demo SM2 CA", "key_algorithm": "sm2", "passphrase": "file:ca-pass"},
  "pin_policy": {"so_pin": "file:so-pin"},
  "projects": [{"code": "GCJS", "name": "工程建设项目审批", "key_algorithm": "sm2",
                "province": "江西省", "locality": "南昌市"}]
}
JSON
sm2_order=$(grep -o '"order_number": *"[^"]*"' "$here/examples/orders.json" | head -1 | sed 's/.*: *"\(.*\)"/\1/')
"$sealkey" ca init --station "$skf_station"
"$sealkey" issue --station "$skf_station" --orders "$here/examples/orders.json" --order "$sm2_order" \
    --token skf:usbkey-1
# A current CRL, so that a relying party (and seal verify --station) can check revocation.
"$sealkey" crl --station "$skf_station"
"$sealkey" ledger reconcile --station "$skf_station"
cat <<MSG

demo: done. Results are in $out:
  station/ca/             root and issuing CA (chain.pem) and the SM2 seal maker, keys
                          encrypted under station/ca-pass
  station/ledger.sqlite   the ledger (sealkey status --station $station)
  station/audit.log       the hash-chained audit log (sealkey audit verify --station $station)
  station/out/ORDER/      cert.pem, chain.pem, the signed seals official.esl / legal-rep.esl
                          with their pictures, the 0600 pin-mailer.txt, and the forms
                          application.pdf, authorization.pdf, seal-collection.pdf and
                          delivery.pdf for each order
  skf-station/out/$sm2_order/  the SM2 order on the soft SKF device skf-devices/usbkey-1:
                          cert.pem and enc-cert.pem (signing and encryption certificates),
                          the seals, and acceptance-test.txt/.sig, a document sealed on the
                          device (sealkey seal verify acceptance-test.sig --doc
                          acceptance-test.txt --station $out/skf-station)
  softhsm/                the SoftHSM token store; use it with
                          export SOFTHSM2_CONF=$out/softhsm/softhsm2.conf
                          pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --list-token-slots
MSG
