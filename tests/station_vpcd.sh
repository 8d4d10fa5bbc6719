#!/usr/bin/env bash
# Station mode against a real pcscd with the vpcd virtual reader and the vicc card emulator
# (started and stopped here): starting vicc is a token insertion into "Virtual PCD 00 00",
# killing it a removal. That reader maps to "blank" SoftHSM tokens. Proves: an insertion
# issues the next order and names the token; a removal between orders is harmless; a
# removal during an issuance (slowed by tests/p11fault) stops it, puts the order back, and the
# next insertion resumes it on the same half-made token; exit statuses, ledger, token count;
# an interrupted reissue and a step over its time limit are handled as a batch handles them.
source "$SOURCE_DIR/tests/lib.sh"
# Part 4 kills a reissue with SEALKEY_TEST_CRASH_AT: a build without the test hooks (Release)
# runs the rest.
: "${P11FAULT_SO:?needs the p11fault test module (tests/faults.cmake)}"
VICC_PY=/usr/lib/python3/site-packages/virtualsmartcard
for need in /usr/sbin/pcscd /usr/bin/vicc /usr/lib/pcsc/drivers/serial/libifdvpcd.so \
    /usr/lib/python3/dist-packages/Cryptodome "$VICC_PY"; do
    [ -e "$need" ] || { echo "missing $need: install scripts/packages.d/station.txt" >&2; exit 1; }
done

pcscd_pid= vicc_pid= station_pid=
stop_all() {
    local p
    for p in $station_pid $vicc_pid $pcscd_pid; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    [ -n "${KEEP_T:-}" ] || rm -rf "$T"
}
trap stop_all EXIT

# A private pcscd: its own reader config (vpcd on a port of its own) and, when mount
# namespaces are allowed, its own socket. pcscd 1.9.9 always listens on /run/pcscd/pcscd.comm
# (only clients read PCSCLITE_CSOCK_NAME), so a private directory is bound there for it alone
# and a system pcscd is left alone.
# vpcd listens on a TCP port (and the next one, for its second reader): one below the kernel's
# ephemeral range (32768 up), where the suite's PostgreSQL and OCSP connections leave
# TIME_WAIT sockets that would make the bind fail and the reader never appear.
mkdir -p "$T/pcsc/conf" "$T/pcsc/run" "$T/py"
start_pcscd() {
    port=$((0x6000 + RANDOM % 0x1FF0))
    cat > "$T/pcsc/conf/vpcd" <<EOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$(printf '0x%X' $port)
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $(printf '0x%X' $port)
EOF
    if unshare -m --propagation private true 2>/dev/null; then
        export PCSCLITE_CSOCK_NAME=$T/pcsc/run/pcscd.comm
        unshare -m --propagation private sh -c \
            'mkdir -p /run/pcscd && mount --bind "$1" /run/pcscd && exec /usr/sbin/pcscd -f -c "$2"' \
            sh "$T/pcsc/run" "$T/pcsc/conf" >> "$T/pcscd.log" 2>&1 &
    else
        /usr/sbin/pcscd -f -c "$T/pcsc/conf" >> "$T/pcscd.log" 2>&1 &
    fi
    pcscd_pid=$!
}

# The two vicc workarounds of PKCS11-NOTES: its modules' directory, and Crypto -> Cryptodome.
ln -s /usr/lib/python3/dist-packages/Cryptodome "$T/py/Crypto"
insert() {
    PYTHONPATH=$VICC_PY:$T/py /usr/bin/python3 /usr/bin/vicc -t iso7816 -P "$port" >> "$T/vicc.log" 2>&1 &
    vicc_pid=$!
}
# A pull is over once pcscd has seen it: vpcd notices a card gone only at its next poll, and
# a station started before that (the next part's) would take the card still shown for one
# just inserted (seen under load, part 6 to 7).
pull() {
    local i
    kill "$vicc_pid"
    wait "$vicc_pid" 2>/dev/null
    vicc_pid=
    for ((i = 0; i < 100; i++)); do
        opensc-tool -l 2>/dev/null | grep -q "No .*Virtual PCD 00 00" && return 0
        sleep 0.1
    done
    fail "pcscd still shows a card in Virtual PCD 00 00 10 s after the pull"
}

# wait_for PATTERN FILE SECONDS: until grep -E finds PATTERN in FILE.
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -Eq -- "$1" "$2" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "waited $3 s for /$1/ in $(basename "$2")"
    sed 's/^/    /' "$2" >&2
    return 1
}

# A reader that does not come up (its port taken after all) gets another port.
for ((attempt = 0; attempt < 4; attempt++)); do
    start_pcscd
    for ((i = 0; i < 100; i++)); do
        opensc-tool -l 2>/dev/null | grep -q "Virtual PCD 00 00" && break 2
        sleep 0.1
    done
    kill "$pcscd_pid" 2>/dev/null && wait "$pcscd_pid" 2>/dev/null
    pcscd_pid=
done
check "pcscd shows the vpcd readers" opensc-tool -l

st=$T/station
make_station "$st"
sed -i 's|^  "station_id": "JX-NC-01",|&\n  "readers": {"Virtual PCD 00 00": "blank"},|' "$st/station.json"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
clone_orders 3 ST GCJS "$T/o"
R="reader Virtual PCD 00 00"
sql() { sqlite3 "$st/ledger.sqlite" "$1"; }

# Refusals: no --orders; a station without "readers"; a reader mapped to nonsense.
expect_status 2 "no --orders" -- "$SEALKEY" station --station "$st"
mkdir -p "$T/bare" && make_station "$T/bare"
expect_status 3 "station.json without readers" -- "$SEALKEY" station --station "$T/bare" --orders "$T/o/orders.json"
expect_output 'no "readers"' "the missing mapping is named"
sed -i 's|^  "station_id": "JX-NC-01",|&\n  "readers": {"X": "slot 3"},|' "$T/bare/station.json"
expect_status 3 "a reader mapped to nonsense" -- "$SEALKEY" station --station "$T/bare" --orders "$T/o/orders.json"
expect_output 'readers.X: .slot 3. is neither a pkcs11: URI' "the bad mapping is named"

# 1: two insertions, two orders; the pull in between is only reported.
"$SEALKEY" station --station "$st" --orders "$T/o/orders.json" --max-orders 2 --timeout 60 \
    > "$T/a.out" 2>&1 &
station_pid=$!
wait_for "waiting for tokens" "$T/a.out" 20
wait_for "reader Virtual PCD 00 01: not in station.json" "$T/a.out" 5
insert
wait_for "$R: order ST-0001 done \(token [0-9a-f]+\) -- the token may be pulled" "$T/a.out" 30
pull
wait_for "$R: token removed$" "$T/a.out" 10
insert
wait_for "$R: order ST-0002 done" "$T/a.out" 30
wait "$station_pid"
check "station stops after --max-orders 2 with status 0" test $? -eq 0
station_pid=
pull
cp "$T/a.out" "$T/out"
expect_output "$R: order ST-0001 issuing" "the operator sees which order goes where"
expect_output "2 issued, 0 interrupted by a pulled token, 0 failed, 1 left in the queue" "summary"
check "two orders verified" test "$(sql "SELECT count(*) FROM issuances WHERE step='verified'")" = 2

# 2: the token is pulled while its key is being generated (6 s, by the fault module; the
# station waits 2 s before it takes a token out for pulled, contact bounces aside).
sed -i "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$P11FAULT_SO\"|" "$st/station.json"
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_DELAY_MS=C_GenerateKeyPair:6000 \
    "$SEALKEY" station --station "$st" --orders "$T/o/orders.json" --exit-when-done --timeout 60 \
    > "$T/b.out" 2>&1 &
station_pid=$!
wait_for "1 orders in the queue, 2 already issued" "$T/b.out" 20
wait_for "waiting for tokens" "$T/b.out" 20
insert
wait_for "$R: order ST-0003 issuing" "$T/b.out" 20
for ((i = 0; i < 200; i++)); do
    [ "$(sql "SELECT step FROM issuances WHERE order_number='ST-0003'")" = token_initialised ] && break
    sleep 0.05
done
# Not at once: a card pulled during vpcd's power-up handshake can make the next one bounce.
sleep 1
pull
wait_for "$R: token removed during order ST-0003 -- order back in the queue" "$T/b.out" 10
sleep 0.5
check "the ledger holds the interrupted issuance" \
    test "$(sql "SELECT step FROM issuances WHERE order_number='ST-0003'")" = token_initialised
insert
wait_for "$R: order ST-0003 done" "$T/b.out" 40
wait "$station_pid"
check "station exits 0 when the queue is empty" test $? -eq 0
station_pid=
pull
cp "$T/b.out" "$T/out"
expect_output "1 issued, 1 interrupted by a pulled token, 0 failed, 0 left in the queue" "summary"
check "first attempt closed as interrupted" \
    test "$(sql "SELECT count(*) FROM issuances WHERE order_number='ST-0003' AND step='failed' AND error LIKE 'interrupted at step token_initialised%'")" = 1
check "second attempt verified" \
    test "$(sql "SELECT count(*) FROM issuances WHERE order_number='ST-0003' AND step='verified'")" = 1
check "resumed on the same token" \
    test "$(sql "SELECT count(DISTINCT token_serial) FROM issuances WHERE order_number='ST-0003'")" = 1
check "three tokens in all, none wasted" test "$(softhsm2-util --show-slots | grep -c 'Label: *ST-')" = 3

# 3: an idle station stops on SIGTERM (status 0) and at --timeout (status 1).
"$SEALKEY" station --station "$st" --orders "$T/o/orders.json" > "$T/c.out" 2>&1 &
station_pid=$!
wait_for "waiting for tokens" "$T/c.out" 20
kill -TERM "$station_pid"
wait "$station_pid"
check "SIGTERM stops an idle station with status 0" test $? -eq 0
station_pid=
cp "$T/c.out" "$T/out"
expect_output "0 orders in the queue, 3 already issued" "nothing left to do"
expect_output "0 issued, 0 interrupted by a pulled token, 0 failed, 0 left in the queue" "summary"
expect_status 1 "--timeout" -- "$SEALKEY" station --station "$st" --orders "$T/o/orders.json" --timeout 1
expect_output "timed out after 1 s" "the timeout is reported"

# 4 (as a batch does): an order whose reissue was killed half-way is queued, not skipped; its
# worker closes the interrupted attempt and finds the order still issued, so the token
# inserted is not used.
if have_test_hooks; then
    rc=$( (SEALKEY_TEST_CRASH_AT=token_initialised setsid "$SEALKEY" issue --station "$st" \
        --orders "$T/o/orders.json" --order ST-0001 --reissue >/dev/null 2>&1; echo $?) 2>/dev/null)
    check "a reissue of ST-0001 killed after its token was initialised (exit $rc)" test "$rc" -eq 137
    "$SEALKEY" station --station "$st" --orders "$T/o/orders.json" --exit-when-done --timeout 60 \
        > "$T/d.out" 2>&1 &
    station_pid=$!
    wait_for "1 orders in the queue, 2 already issued" "$T/d.out" 20
    wait_for "waiting for tokens" "$T/d.out" 20
    insert
    wait_for "$R: order ST-0001 is already issued \(token [0-9a-f]+\) -- the token was not used" "$T/d.out" 30
    wait "$station_pid"
    check "station exits 0 once the interrupted reissue is closed" test $? -eq 0
    station_pid=
    pull
    check "the interrupted reissue is closed as failed" \
        test "$(sql "SELECT count(*) FROM issuances WHERE order_number='ST-0001' AND step NOT IN ('verified','failed')")" = 0
    check "ST-0001 keeps its one live certificate" \
        test "$(sql "SELECT count(*) FROM issuances WHERE order_number='ST-0001' AND step='verified'")" = 1
fi

# 5 (as a batch does): a step over its time limit fails the order as a token error that names
# the limit (it read "internal" before), and the order goes back to the queue.
clone_orders 1 SLOW GCJS "$T/s"
sed -i 's|"key_generated": 120|"key_generated": 1|' "$st/station.json"
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_DELAY_MS=C_GenerateKeyPair:3000 \
    "$SEALKEY" station --station "$st" --orders "$T/s/orders.json" --timeout 60 > "$T/e.out" 2>&1 &
station_pid=$!
wait_for "waiting for tokens" "$T/e.out" 20
insert
wait_for "$R: order SLOW-0001 FAILED \(token\): timed out: step key_generated took over 1 s \(timeouts.key_generated in station.json\) -- order back in the queue" "$T/e.out" 30
kill -TERM "$station_pid"
wait "$station_pid"
check "a station with a failed order exits 1" test $? -eq 1
station_pid=
pull
sed -i 's|"key_generated": 1$|"key_generated": 120|' "$st/station.json"
expect_status 0 "the timed-out order finishes in a batch" -- \
    "$SEALKEY" batch --station "$st" --orders "$T/s/orders.json"
# Every certificate signed along the way is live on one token or revoked.
expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"

# 6: station --json end to end (issue 16), on a station whose issuing CA has 100 days left:
# one JSON line per event, the token's order settled with the ledger's serials, its validity
# capped at the CA's end and said so (as issue says it), and the summary line last.
st6=$T/capped
make_station "$st6"
sed -i 's|^  "station_id": "JX-NC-01",|&\n  "readers": {"Virtual PCD 00 00": "blank"},|' "$st6/station.json"
"$SEALKEY" ca init --station "$st6" --issuing-days 100 >/dev/null 2>&1 || fail "ca init (100 days)"
clone_orders 1 JS GCJS "$T/js"
"$SEALKEY" station --station "$st6" --orders "$T/js/orders.json" --exit-when-done --timeout 60 \
    --json > "$T/f.out" 2> "$T/f.err" &
station_pid=$!
wait_for '"event":"watching"' "$T/f.out" 20
insert
wait_for '"event":"settled"' "$T/f.out" 30
wait "$station_pid"
check "station --json exits 0 when the queue is empty" test $? -eq 0
station_pid=
pull
check "station --json: nothing but JSON lines on standard output" python3 -c '
import json, sys
[json.loads(l) for l in open(sys.argv[1])]' "$T/f.out"
row=$(sqlite3 -separator ' ' "$st6/ledger.sqlite" "SELECT token_serial, cert_serial, not_after FROM issuances WHERE order_number='JS-0001'")
check "station --json: the plan, the order settled as the ledger has it, the summary last" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
tok, cert, end = sys.argv[2].split()
names = [e["event"] for e in ev]
assert names[0] == "planned" and ev[0]["queued"] == 1 and ev[0]["already_issued"] == 0, ev
assert "watching" in names and "started" in names and names[-1] == "summary", names
s = [e for e in ev if e["event"] == "settled"]
assert len(s) == 1 and s[0]["order_number"] == "JS-0001" and s[0]["status"] == "issued", s
assert s[0]["reader"] == "Virtual PCD 00 00" and s[0]["exit_status"] == 0 and s[0]["error"] == "", s
assert s[0]["token_serial"] == tok and s[0]["cert_serial"] == cert and len(s[0]["seal_ids"]) == 2, (s, tok, cert)
assert s[0]["validity_capped"] is True and s[0]["not_after"] == end, (s, end)
sm = ev[-1]
assert sm["issued"] == 1 and sm["failed"] == 0 and sm["left"] == 0 and sm["timed_out"] is False, sm
assert all(e["time"].endswith("Z") for e in ev), ev' "$T/f.out" "$row"
# The text station says the notice under the order's line, as issue and batch do.
clone_orders 1 JT GCJS "$T/jt"
"$SEALKEY" station --station "$st6" --orders "$T/jt/orders.json" --exit-when-done --timeout 60 \
    > "$T/g.out" 2>&1 &
station_pid=$!
wait_for "waiting for tokens" "$T/g.out" 20
insert
wait "$station_pid"
check "the text station exits 0" test $? -eq 0
station_pid=
pull
cp "$T/g.out" "$T/out"
expect_output "$R: order JT-0001: notice: validity capped at the issuing CA's notAfter 20[0-9-]+T[0-9:]+Z; renew the CA" "the station says the validity was capped"
# 7: external signing (docs/pki.md): a token whose key is made waits for the certificate the
# CA's own system signs. That is not an order issued: --max-orders 1 does not stop the
# station after it, the summary counts the waiting orders, and a later run does not queue
# them (they wait for cert-import, not for a token).
xs=$T/xstation
external_station "$xs" "$T/ext"
sed -i 's|^  "station_id": "JX-NC-01",|&\n  "readers": {"Virtual PCD 00 00": "blank"},|' "$xs/station.json"
clone_orders 2 XS GCJS "$T/x"
"$SEALKEY" station --station "$xs" --orders "$T/x/orders.json" --max-orders 1 --exit-when-done \
    --timeout 90 > "$T/f.out" 2>&1 &
station_pid=$!
wait_for "waiting for tokens" "$T/f.out" 20
insert
wait_for "$R: order XS-0001: key made on token [0-9a-f]+, waiting for its certificate" "$T/f.out" 30
pull
# An operator must be told of the pull after a waiting order too.
wait_for "$R: token removed$" "$T/f.out" 10
insert
wait_for "$R: order XS-0002: key made on token [0-9a-f]+, waiting for its certificate" "$T/f.out" 30
wait "$station_pid"
check "an external station exits 0 when its queue is empty" test $? -eq 0
station_pid=
pull
cp "$T/f.out" "$T/out"
expect_output "0 issued, 0 interrupted by a pulled token, 0 failed, 0 left in the queue, 2 waiting for their certificate" \
    "the summary counts waiting orders, not issued ones"
check "--max-orders 1 did not stop it" test "$(grep -c "stopping (--max-orders)" "$T/f.out")" = 0
check "both orders wait in the ledger" \
    test "$(sqlite3 "$xs/ledger.sqlite" "SELECT count(*) FROM issuances WHERE step='awaiting_certificate'")" = 2
expect_status 0 "a later run queues no waiting order" -- "$SEALKEY" station --station "$xs" \
    --orders "$T/x/orders.json" --exit-when-done --timeout 30
expect_output "0 orders in the queue, 0 already issued, 0 not queued" "nothing queued"
expect_output "2 orders wait for their certificate, not for a token" "the plan counts them"
expect_output "0 issued, .*, 2 waiting for their certificate" "and so does the summary"

# 8: a token pulled while its worker is ending (within the 2 s the station waits before it takes
# a token for pulled) is still announced, after the order's line: the key generation takes
# 1.8 s, the pull comes 0.5 s into it, and the request is signed within the debounce.
sed -i "s|\"pkcs11_module\": \"[^\"]*\"|\"pkcs11_module\": \"$P11FAULT_SO\"|" "$xs/station.json"
clone_orders 1 XP GCJS "$T/xp"
P11FAULT_MODULE=$SOFTHSM2_MODULE P11FAULT_DELAY_MS=C_GenerateKeyPair:1800 \
    "$SEALKEY" station --station "$xs" --orders "$T/xp/orders.json" --timeout 60 \
    > "$T/h.out" 2>&1 &
station_pid=$!
wait_for "waiting for tokens" "$T/h.out" 20
insert
wait_for "$R: order XP-0001 issuing" "$T/h.out" 20
for ((i = 0; i < 200; i++)); do
    [ "$(sqlite3 "$xs/ledger.sqlite" "SELECT step FROM issuances WHERE order_number='XP-0001'")" = token_initialised ] && break
    sleep 0.05
done
sleep 0.5
pull
wait_for "$R: order XP-0001: key made on token [0-9a-f]+, waiting for its certificate" "$T/h.out" 20
wait_for "$R: token removed$" "$T/h.out" 10
kill -TERM "$station_pid"
wait "$station_pid"
check "the station stops on SIGTERM with status 0" test $? -eq 0
station_pid=
cp "$T/h.out" "$T/out"
expect_output "0 issued, 0 interrupted by a pulled token, 0 failed, 0 left in the queue, 1 waiting" \
    "the order was not stopped: its worker ended within the debounce"
check "the removal is said after the order's line" \
    test "$(grep -E "waiting for its certificate|token removed" "$T/h.out" | tail -1 | grep -c "token removed$")" = 1
finish
