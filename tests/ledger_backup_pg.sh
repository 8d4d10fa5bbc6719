#!/usr/bin/env bash
# sealkey ledger backup on a station of a shared PostgreSQL ledger (issue 16, item 5): the CA
# directory and station.json are copied, the ledger and its audit log (in the database) are
# not, and the command says to use pg_dump; pg_dump of the ledger is the documented way.
source "$SOURCE_DIR/tests/lib.sh"
source "$SOURCE_DIR/tests/pg_cluster.sh"
pg_cluster_start || { echo "cannot start PostgreSQL"; exit 1; }
export SEALKEY_OPERATOR=tester
st=$T/station
make_station "$st"
sed -i "s|\"ledger\": \"[^\"]*\"|\"ledger\": \"$PG_URI\"|" "$st/station.json"
expect_status 0 "ledger init" -- "$SEALKEY" ledger init --station "$st"
expect_status 0 "ca init" -- "$SEALKEY" ca init --station "$st"
expect_status 0 "backup of a shared-ledger station" -- "$SEALKEY" ledger backup --station "$st" --to "$T/bk"
expect_output "shared ledger .* not copied: back it up with pg_dump" "says the ledger is pg_dump's"
expect_output "no audit log \(in the shared ledger\), CA directory \([0-9]+ files\), station.json" "says what it copied"
check "the CA and station.json are in the backup" test -s "$T/bk/ca/issuing.key" -a -s "$T/bk/station.json"
check "no ledger file, no audit log" test -z "$(ls "$T/bk" | grep -v -e '^ca$' -e '^station.json$')"
# The documented way for the ledger itself.
"$PG_BIN/pg_dump" -Fc -f "$T/ledger.dump" "$PG_URI" 2>"$T/err"
check "pg_dump takes the ledger ($(cat "$T/err"))" test -s "$T/ledger.dump"
finish
