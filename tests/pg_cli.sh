#!/usr/bin/env bash
# sealkey ledger on a shared PostgreSQL ledger: init/migrate/version, a station's SQLite
# history moved in by export/import, a URI with a password refused, and the faults: the
# database server killed mid-issuance (the order stays at its recorded step and the next run
# resumes it) and a process killed while holding an order (its claim dies with it).
source "$SOURCE_DIR/tests/lib.sh"
require_test_hooks  # SEALKEY_TEST_CRASH_AT
source "$SOURCE_DIR/tests/pg_cluster.sh"
pg_cluster_start || { echo "cannot start PostgreSQL"; exit 1; }
export SEALKEY_OPERATOR=tester
st=$T/station
make_station "$st"
set_ledger() { sed -i "s|\"ledger\": \"[^\"]*\"|\"ledger\": \"$1\"|" "$st/station.json"; }

# A station's life on SQLite, then the move.
expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$st"
clone_orders 3 MOVE GCJS "$T/m"
expect_status 0 "batch on SQLite" -- "$SEALKEY" batch --station "$st" --orders "$T/m/orders.json" --jobs 2
expect_status 0 "revoke on SQLite" -- "$SEALKEY" revoke --station "$st" --order MOVE-0003 --reason keyCompromise
expect_status 0 "export" -- "$SEALKEY" ledger export --station "$st" --out "$T/export.json"
expect_output "3 issuances, [0-9]+ audit records of station JX-NC-01" "export counts"
check "export is 0600" test "$(stat -c %a "$T/export.json")" = 600
expect_status 8 "export never overwrites" -- "$SEALKEY" ledger export --station "$st" --out "$T/export.json"
audit_n=$(grep -c . "$st/audit.log")

expect_status 3 "a password in the URI is refused" -- "$SEALKEY" ledger init --ledger "postgresql://sealkey:secret@127.0.0.1:$PG_PORT/sealkey"
expect_output "PGPASSFILE" "points to PGPASSFILE"
expect_no_output "secret" "and does not echo the password"
set_ledger "$PG_URI"
expect_status 4 "a shared ledger is not created implicitly" -- "$SEALKEY" status --station "$st"
expect_output "sealkey ledger init" "says how to create it"
# The schema version this sealkey brings (migrations are added over time).
latest=$("$SEALKEY" ledger version --ledger "$T/version.sqlite" | sed -n 's/.*this sealkey: \([0-9]*\).*/\1/p')
expect_status 0 "ledger init" -- "$SEALKEY" ledger init --station "$st"
expect_output "created, schema version $latest" "init reports the version"
expect_status 4 "second init refused" -- "$SEALKEY" ledger init --station "$st"
expect_status 0 "migrate with nothing to do" -- "$SEALKEY" ledger migrate --station "$st"
expect_output "schema version $latest, nothing to do" "migrate reports"
expect_status 0 "version" -- "$SEALKEY" ledger version --station "$st"
expect_output "postgresql, schema version $latest" "version names the backend"

# An export of an older schema could bring rows its later migrations would have corrected
# (certificates neither live nor revoked): refused, nothing imported.
umask 077
sed "s/\"schema\": *$latest/\"schema\": $((latest - 1))/" "$T/export.json" > "$T/old-export.json"
umask 022
expect_status 3 "import of an older schema's export" -- "$SEALKEY" ledger import --station "$st" --from "$T/old-export.json"
expect_output "of ledger schema $((latest - 1)), this sealkey's is $latest: export it again" "names both schemas and the remedy"
# Its times are read by the one date parser: an impossible date, or a time in another form
# than the ledger's, refused naming the table and column, nothing imported.
bad_time() {
    (umask 077; python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = [r for r in d["tables"]["issuances"] if r["revoked_at"]][0]
r["revoked_at"] = sys.argv[3]
json.dump(d, open(sys.argv[2], "w"))' "$T/export.json" "$T/bad-time.json" "$1")
}
bad_time 2026-02-30T10:00:00Z
expect_status 3 "import with an impossible revocation date" -- "$SEALKEY" ledger import --station "$st" --from "$T/bad-time.json"
expect_output "issuances: revoked_at '2026-02-30T10:00:00Z': no day 30 in February 2026" "the table, column and reason named"
bad_time 2026-11-25T18:00:00+08:00
expect_status 3 "import with a time in another form" -- "$SEALKEY" ledger import --station "$st" --from "$T/bad-time.json"
expect_output "revoked_at '2026-11-25T18:00:00\+08:00': not the ledger's form" "another form refused"
check "nothing imported" test "$(pg_sql "SELECT count(*) FROM issuances")" = 0
expect_status 0 "import" -- "$SEALKEY" ledger import --station "$st" --from "$T/export.json"
expect_output "3 issuances, .* $audit_n audit records" "import counts"
expect_output "audit log: $audit_n records of 1 stations, chains intact" "import verifies the chain"
expect_status 4 "second import refused" -- "$SEALKEY" ledger import --station "$st" --from "$T/export.json"
expect_output "imported before" "second import names the reason"
check "history kept: origins" test "$(pg_sql "SELECT count(*) FROM issuances WHERE origin LIKE 'JX-NC-01:%'")" = 3
check "history kept: steps" test "$(pg_sql "SELECT count(*) FROM issuance_steps")" = "$(sqlite3 "$st/ledger.sqlite" 'SELECT count(*) FROM issuance_steps')"
check "history kept: serials used" test "$(pg_sql "SELECT count(*) FROM serials WHERE state = 'used'")" = 3
check "history kept: revocation" test "$(pg_sql "SELECT revocation_reason FROM issuances WHERE order_number = 'MOVE-0003'")" = keyCompromise
expect_status 1 "the moved orders count as issued" -- "$SEALKEY" batch --station "$st" --orders "$T/m/orders.json" --json
expect_output '"already_issued": 2' "two verified orders found in the shared ledger"

# The station now appends its audit records to the shared ledger, continuing its chain.
clone_orders 3 PG GCJS "$T/p"
expect_status 0 "issue on the shared ledger" -- "$SEALKEY" issue --station "$st" --orders "$T/p/orders.json" --order PG-0001
check "the audit chain goes on in the database" test "$(pg_sql "SELECT seq > $audit_n FROM audit_heads WHERE station = 'JX-NC-01'")" = t
check "the file log is left as it was" test "$(grep -c . "$st/audit.log")" = "$audit_n"
expect_status 0 "audit verify" -- "$SEALKEY" audit verify --station "$st"
expect_status 0 "ledger audit-verify" -- "$SEALKEY" ledger audit-verify --station "$st"
expect_output "chains intact" "whole audit verifies"

# The server dies mid-issuance: a trigger holds the key_generated step's transaction open
# while the server is killed.
pg_sql "CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN IF NEW.step = 'key_generated' THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END \$\$; CREATE TRIGGER stall BEFORE INSERT ON issuance_steps FOR EACH ROW EXECUTE FUNCTION stall()"
"$SEALKEY" issue --station "$st" --orders "$T/p/orders.json" --order PG-0002 >"$T/lost.out" 2>&1 &
pid=$!
for i in $(seq 1 100); do
    [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'" 2>/dev/null)" = 1 ] && break
    sleep 0.2
done
pg_cluster_crash
wait "$pid"
rc=$?
check "the issuance stops with a ledger error ($rc)" test "$rc" -eq 9
check "and says so" grep -q "ledger" "$T/lost.out"
pg_cluster_restart || fail "restart"
pg_sql "DROP TRIGGER stall ON issuance_steps"
check "the order is left at its recorded step" test "$(pg_sql "SELECT step FROM issuances WHERE order_number = 'PG-0002'")" = token_initialised
expect_status 0 "the next run resumes it" -- "$SEALKEY" issue --station "$st" --orders "$T/p/orders.json" --order PG-0002
check "resumed: the interrupted attempt closed" test "$(pg_sql "SELECT string_agg(step, ',' ORDER BY id) FROM issuances WHERE order_number = 'PG-0002'")" = failed,verified
check "resumed on the same token" test "$(softhsm2-util --show-slots | grep -c 'Label: *PG-0002')" = 1

# A process killed while holding an order: the claim dies with its session.
SEALKEY_TEST_CRASH_AT=key_generated setsid "$SEALKEY" issue --station "$st" --orders "$T/p/orders.json" --order PG-0003 >/dev/null 2>&1
check "the crashed issuance is left at a step" test "$(pg_sql "SELECT step FROM issuances WHERE order_number = 'PG-0003'")" = key_generated
for i in 1 2 3 4 5 6 7 8 9 10; do
    [ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sealkey claim PG-0003'")" = 0 ] && break
    sleep 0.2
done
# reconcile takes the order's claim for a moment: the dead holder's is gone, so it is reported.
expect_status 1 "reconcile reports the interrupted issuance" -- "$SEALKEY" ledger reconcile --station "$st" --no-tokens
expect_output "^interrupted: order PG-0003, serial [0-9A-F]+, token [0-9a-f]+: .*stopped at step key_generated" "named with its serial and token"
expect_status 0 "another run takes the order at once" -- "$SEALKEY" issue --station "$st" --orders "$T/p/orders.json" --order PG-0003
check "PG-0003 verified" test "$(pg_sql "SELECT step FROM issuances WHERE order_number = 'PG-0003' ORDER BY id DESC LIMIT 1")" = verified
expect_status 0 "audit still verifies" -- "$SEALKEY" ledger audit-verify --station "$st"
# After the server crash and the killed holder, every certificate is accounted for.
expect_status 0 "reconcile after the crashes" -- "$SEALKEY" ledger reconcile --station "$st"

# External signing (docs/pki.md): an order waiting for its certificate moves into the shared
# ledger with its request (issuances.csr_pem); csr-export and cert-import go on there.
xs=$T/xstation ext=$T/ext
make_station "$xs"
sed -i 's|"station_id": "JX-NC-01"|"station_id": "JX-NC-09"|' "$xs/station.json"
external_station "$xs" "$ext"
clone_orders 1 XW GCJS "$T/xw"
expect_status 0 "an external order waits on SQLite" -- "$SEALKEY" batch --station "$xs" --orders "$T/xw/orders.json"
expect_output "1 order\(s\) wait for their certificates" "it waits"
expect_status 0 "export with a waiting order" -- "$SEALKEY" ledger export --station "$xs" --out "$T/xexport.json"
sed -i "s|\"ledger\": \"[^\"]*\"|\"ledger\": \"$PG_URI\"|" "$xs/station.json"
expect_status 0 "import with a waiting order" -- "$SEALKEY" ledger import --station "$xs" --from "$T/xexport.json"
csr_sqlite=$(sqlite3 "$xs/ledger.sqlite" "SELECT csr_pem FROM issuances WHERE order_number = 'XW-0001'")
check "the waiting order's request moved" test "$(pg_sql "SELECT csr_pem FROM issuances WHERE order_number = 'XW-0001'")" = "$csr_sqlite"
check "(a request it is)" test "${csr_sqlite:0:35}" = "-----BEGIN CERTIFICATE REQUEST-----"
expect_status 0 "csr-export from the shared ledger" -- "$SEALKEY" csr-export --station "$xs" --out "$T/xreq"
check "the request exported is the token's" cmp "$T/xreq/XW-0001.csr" "$xs/out/XW-0001/request.csr"
openssl x509 -req -in "$T/xreq/XW-0001.csr" -CA "$ext/issuing.crt" -CAkey "$ext/issuing.key" -days 365 \
    -extfile "$ext/leaf.ext" -out "$T/xw.pem" 2>/dev/null || fail "the external CA signs XW-0001"
expect_status 0 "cert-import on the shared ledger" -- "$SEALKEY" cert-import --station "$xs" --orders "$T/xw/orders.json" "$T/xw.pem"
check "XW-0001 verified in the shared ledger" test "$(pg_sql "SELECT step FROM issuances WHERE order_number = 'XW-0001' ORDER BY id DESC LIMIT 1")" = verified
finish
