# Batch runs report to the system log: started, each order's outcome (issued; failed with its
# status and reason, at error priority), the summary, with the station's facility and
# identity, in the syslog datagram format journald and rsyslog read; never a secret. The log
# here is a Unix datagram socket of the test's own (station.json "log.socket"). A socket
# that is named but not there is said once on stderr and the batch goes on.
. "$SOURCE_DIR/tests/lib.sh"
make_station "$T/st"
sed -i "s|\"station_id\"|\"log\": {\"facility\": \"local3\", \"ident\": \"sk-test\", \"socket\": \"$T/log.sock\"}, \"station_id\"|" \
    "$T/st/station.json"
expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$T/st"

# Two orders: LG-0001 good, LG-0002 with a scan that is not there.
clone_orders 2 LG GCJS "$T/o"
python3 - "$T/o/orders.json" <<'PY'
import json, sys
p = sys.argv[1]
orders = json.load(open(p, encoding="utf-8"))
orders[1]["seal_scans"]["official"] = "scans/missing.jpg"
json.dump(orders, open(p, "w", encoding="utf-8"), ensure_ascii=False, indent=2)
PY

# The log: every datagram a line of log.txt; gone after 60 s of silence if the test dies.
listen() {
    rm -f "$T/log.sock"
    : >"$T/log.txt"
    python3 - "$T/log.sock" "$T/log.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "ab", buffering=0) as f:
    try:
        while True:
            f.write(s.recv(65536) + b"\n")
    except socket.timeout:
        pass
PY
    listener=$!
    for _ in $(seq 50); do [ -S "$T/log.sock" ] && break; sleep 0.1; done
    check "log socket up" test -S "$T/log.sock"
}
# What the log got, in $T/out for expect_output.
heard() {
    sleep 0.5
    kill "$listener" 2>/dev/null
    wait "$listener" 2>/dev/null
    cp "$T/log.txt" "$T/out"
}
listen

expect_status 1 "batch, one order failing" -- "$SEALKEY" batch --station "$T/st" --orders "$T/o/orders.json"
expect_no_output 'system log' "no complaint about a log that is there"
heard
# local3 = 19: <158> info, <156> warning, <155> err.
expect_output '^<158>[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} sk-test\[[0-9]+\]: batch: started: .*orders\.json, 2 orders' "started, syslog format"
expect_output '^<158>.* sk-test\[[0-9]+\]: batch: order LG-0001 issued: token [0-9a-f]+, certificate [0-9A-F]+' "issued"
expect_output '^<155>.* batch: order LG-0002 FAILED \(input\): .*missing\.jpg' "failure at error priority"
expect_output '^<156>.* batch: 2 orders: 1 issued, 0 already issued, 1 failed' "summary at warning priority"
check "one line per datagram, every line from sk-test" \
    test "$(grep -cv 'sk-test\[' "$T/log.txt")" -eq 0
# No secret: the SO PIN, the CA passphrase, the new user PIN.
pin=$(sed -n 's/^user PIN: *//p' "$T/st/out/LG-0001/pin-mailer.txt")
check "user PIN found in the mailer" test -n "$pin"
for secret in 'so-pin-4711' 'ca passphrase for tests' "$pin"; do
    check "no secret in the log" test "$(grep -cF -- "$secret" "$T/log.txt")" -eq 0
done

# A station run logs the same way: its start, its queue, what it left out, its end (at its
# --timeout, or stopped because no pcscd answers here: a fault, at error priority).
sed -i 's|"station_id"|"readers": {"No Such Reader": "blank"}, "station_id"|' "$T/st/station.json"
listen
"$SEALKEY" station --station "$T/st" --orders "$T/o/orders.json" --timeout 1 >"$T/out" 2>&1
st=$?
check "station ends at its timeout or for want of pcscd (exit $st)" test "$st" -eq 1 -o "$st" -eq 5
heard
expect_output '^<158>.* sk-test\[[0-9]+\]: station: started: .*orders\.json' "station started"
expect_output '^<156>.* station: not queued: .*LG-0002' "station: order left out"
expect_output '^<158>.* station: 0 orders in the queue, 1 already issued, 1 not queued' "station queue"
expect_output '^(<156>.* station: ended at its --timeout|<155>.* station: stopped: )' "station end"

# A log socket that is not there: said once, and the batch goes on.
sed -i "s|$T/log.sock|$T/nothere.sock|" "$T/st/station.json"
expect_status 1 "batch without its log" -- "$SEALKEY" batch --station "$T/st" --orders "$T/o/orders.json"
expect_output 'system log .*nothere\.sock: .*going on' "missing log said"
check "said once" test "$(grep -c 'system log' "$T/out")" -eq 1
expect_output 'batch: 2 orders: 0 issued, 1 already issued, 1 failed' "batch went on"
finish
