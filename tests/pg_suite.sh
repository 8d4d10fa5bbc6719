#!/usr/bin/env bash
# The ledger suite (tests/test_ledger_pg.c) against both backends, and the audit log in the
# shared database: chained per station, and every kind of tampering found.
source "$SOURCE_DIR/tests/lib.sh"
source "$SOURCE_DIR/tests/pg_cluster.sh"
pg_cluster_start || { echo "cannot start PostgreSQL"; exit 1; }
suite=$BUILD_DIR/tests/test_ledger_pg

expect_status 0 "ledger suite on SQLite" -- "$suite" "$T/ledger.sqlite"
expect_output " 0 failed" "SQLite suite"
mkdir -p "$T/st"
printf '{"station_id": "T-1", "ledger": "%s"}\n' "$PG_URI" > "$T/st/station.json"
expect_status 0 "ledger suite on PostgreSQL" -- "$suite" "$PG_URI" "$T/st"
expect_output " 0 failed" "PostgreSQL suite"
check "no audit.log in a shared-ledger station" test ! -e "$T/st/audit.log"
check "audit rows per station" test "$(pg_sql "SELECT string_agg(station || '=' || seq, ',' ORDER BY station) FROM audit_heads")" = "T-1=2,T-2=1"
check "database time in the records" test "$(pg_sql "SELECT count(*) FROM audit_records WHERE record ~ '\"time\":\"[0-9-]{10}T[0-9:]{8}Z\"'")" = 3
check "the same schema version on both" test "$(sqlite3 "$T/ledger.sqlite" 'PRAGMA user_version')" = "$(pg_sql 'SELECT version FROM sealkey_schema')"

# Tampering, each undone before the next.
verify_fails() {
    expect_status 1 "$2" -- "$SEALKEY" audit verify --station "$T/st"
    expect_output "$1" "$2: message"
}
expect_status 0 "audit verify of a shared-ledger station" -- "$SEALKEY" audit verify --station "$T/st"
pg_sql "UPDATE audit_records SET record = replace(record, '\"detail\":\"test\"', '\"detail\":\"tost\"') WHERE station = 'T-1' AND seq = 1"
verify_fails "record 1.*hash does not match" "an edited record"
pg_sql "UPDATE audit_records SET record = replace(record, '\"detail\":\"tost\"', '\"detail\":\"test\"') WHERE station = 'T-1' AND seq = 1"
pg_sql "CREATE TABLE keep AS SELECT * FROM audit_records WHERE station = 'T-1' AND seq = 2; DELETE FROM audit_records WHERE station = 'T-1' AND seq = 2"
verify_fails "ends at record 1 but its head says 2" "the last record deleted"
pg_sql "INSERT INTO audit_records SELECT * FROM keep; DROP TABLE keep"
pg_sql "UPDATE audit_records SET seq = seq + 10 WHERE station = 'T-1' AND seq = 1"
verify_fails "record 1 is missing" "the first record deleted"
pg_sql "UPDATE audit_records SET seq = 1 WHERE station = 'T-1' AND seq = 11"
pg_sql "UPDATE audit_records SET station = 'T-1', seq = 3 WHERE station = 'T-2'"
verify_fails "holds record 1 of station T-2" "a record moved between stations"
pg_sql "UPDATE audit_records SET station = 'T-2', seq = 1 WHERE station = 'T-1' AND seq = 3"
expect_status 0 "audit verify after undoing" -- "$SEALKEY" audit verify --station "$T/st"
finish
