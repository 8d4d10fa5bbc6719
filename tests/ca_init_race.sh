#!/usr/bin/env bash
# Two `ca init` at once on one station: exactly one makes the CA, the other is refused (4), and
# the CA opens with every key matching its certificate. CA files that are not one CA (a key
# swapped in from another station) are refused when the CA is opened (7), naming the files.
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"

rounds=10
for round in $(seq 1 $rounds); do
    rm -rf "$st/ca"
    "$SEALKEY" ca init --station "$st" >"$T/a.out" 2>&1 & pa=$!
    "$SEALKEY" ca init --station "$st" >"$T/b.out" 2>&1 & pb=$!
    wait $pa; ra=$?
    wait $pb; rb=$?
    if [ "$(printf '%s\n' $ra $rb | sort | tr '\n' ' ')" = "0 4 " ]; then ok; else
        fail "round $round: exits $ra and $rb, want one 0 and one 4"; cat "$T/a.out" "$T/b.out" >&2
    fi
    loser=$T/a.out; [ $ra -eq 4 ] || loser=$T/b.out
    check "round $round: the refused init says why" grep -q "already has a CA" "$loser"
    # The keys on disk are the keys of the certificates on disk.
    for pair in root:root issuing:issuing seal-root:seal-root seal-maker:seal-maker; do
        k=${pair%%:*}; c=${pair##*:}
        kp=$(openssl pkey -in "$st/ca/$k.key" -passin "file:$st/ca-pass" -pubout 2>/dev/null)
        cp=$(openssl x509 -in "$st/ca/$c.crt" -noout -pubkey 2>/dev/null)
        check "round $round: $k.key matches $c.crt" test -n "$kp" -a "$kp" = "$cp"
    done
    check "round $round: issuing.crt is signed by root.crt" \
        openssl verify -CAfile "$st/ca/root.crt" "$st/ca/issuing.crt"
    expect_status 0 "round $round: the CA opens" -- "$SEALKEY" crl --station "$st"
    check "round $round: no temporary files left" test -z "$(find "$st/ca" -name '*.tmp-*')"
done

# A CA that exists is refused, and nothing of it changes.
sum=$(cat "$st"/ca/*.key "$st"/ca/*.crt | md5sum)
expect_status 4 "ca init on a station with a CA" -- "$SEALKEY" ca init --station "$st"
expect_output "already has a CA" "refusal names the CA"
check "the CA is untouched" test "$(cat "$st"/ca/*.key "$st"/ca/*.crt | md5sum)" = "$sum"

# Files that are not one CA are refused whenever the CA is opened, naming the files.
other=$T/other
make_station "$other"
"$SEALKEY" ca init --station "$other" >/dev/null 2>&1 || fail "ca init of a second station"
cp -r "$st/ca" "$T/ca.good"
swap() { # swap FILE REGEX: FILE from the other station makes the CA refused on open
    rm -rf "$st/ca"; cp -r "$T/ca.good" "$st/ca"
    cp "$other/ca/$1" "$st/ca/$1"
    expect_status 7 "$1 from another station refused" -- "$SEALKEY" crl --station "$st"
    expect_output "$2" "$1: the message names the files"
}
swap issuing.key "ca/issuing.key does not match .*ca/issuing.crt"
swap root.key "ca/root.key does not match .*ca/root.crt"
swap issuing.crt "ca/issuing.key does not match .*ca/issuing.crt"
swap root.crt "ca/issuing.crt is not issued by .*ca/root.crt"
swap chain.pem "ca/chain.pem is not issuing.crt followed by root.crt"
swap seal-maker.key "ca/seal-maker.key does not match .*ca/seal-maker.crt"
swap seal-root.key "ca/seal-root.key does not match .*ca/seal-root.crt"
swap seal-root.crt "ca/seal-maker.crt is not issued by .*ca/seal-root.crt"
# A refused CA signs nothing: the issuance stops before any token is touched.
swap issuing.key "does not match"
expect_status 7 "issue with a swapped CA key" -- "$SEALKEY" issue --station "$st" \
    --orders "$SOURCE_DIR/examples/orders.json" --order JX2026-000101
expect_output "ca/issuing.key does not match" "issue names the files"
check "no token initialised" bash -c "! softhsm2-util --show-slots 2>/dev/null | grep -q JX2026-000101"
finish
