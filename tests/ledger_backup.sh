#!/usr/bin/env bash
# sealkey ledger backup (issue 16, item 5): taken while a batch runs, the copy is one
# consistent state (ledger, audit log and head, CA), private (0700/0600, no secrets), and a
# station restored from it verifies its audit log, finishes the batch and reconciles clean.
# A schema migration keeps a copy of the ledger as it was.
source "$SOURCE_DIR/tests/lib.sh"
export SEALKEY_OPERATOR=tester
st=$T/station
make_station "$st"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
clone_orders 10 BK GCJS "$T/o"
orders=$T/o/orders.json
db=$st/ledger.sqlite
verified() { sqlite3 "$1" "SELECT count(*) FROM issuances WHERE step='verified'" 2>/dev/null || echo 0; }

# -- while a batch runs
"$SEALKEY" batch --station "$st" --orders "$orders" --jobs 1 >"$T/batch.out" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
    [ "$(verified "$db")" -ge 2 ] && break
    sleep 0.05
done
expect_status 0 "backup while the batch runs" -- "$SEALKEY" ledger backup --station "$st" --to "$T/bk"
expect_output "^backup .*/bk: ledger ledger.sqlite, audit.log and audit.head, CA directory \([0-9]+ files\), station.json" "backup says what it copied"
check "the batch was still running when the backup was taken" kill -0 "$pid"
wait "$pid"
check "the batch finished (exit $?)" test "$(verified "$db")" = 10
in_backup=$(verified "$T/bk/ledger.sqlite")
check "the backup holds the state of its moment ($in_backup of 10 verified)" test "$in_backup" -ge 2 -a "$in_backup" -lt 10

# -- private, complete, no secrets
check "backup directory 0700" test "$(stat -c %a "$T/bk")" = 700
check "every file 0600, every directory 0700" test -z "$(find "$T/bk" \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \))"
for f in ledger.sqlite audit.log audit.head station.json ca/issuing.key ca/issuing.crt ca/root.crt ca/chain.pem; do
    check "backup has $f" test -s "$T/bk/$f"
done
check "no secret file, no out/, no WAL beside the copy" test ! -e "$T/bk/so-pin" -a ! -e "$T/bk/ca-pass" -a ! -e "$T/bk/out" -a ! -e "$T/bk/ledger.sqlite-wal"
check "no partial directory left" test -z "$(ls -d "$T"/bk.partial-* 2>/dev/null)"
check "the copy is a sound database" test "$(sqlite3 "$T/bk/ledger.sqlite" 'PRAGMA integrity_check')" = ok
# The log and its head as of the ledger's anchor: the anchor is the log's end.
anchor=$(sqlite3 "$T/bk/ledger.sqlite" "SELECT seq FROM audit_anchors")
check "audit.head of the copy is the anchor of the copy ($anchor)" grep -q "\"seq\":$anchor}" "$T/bk/audit.head"
check "audit.log of the copy ends at the anchor" test "$(wc -l < "$T/bk/audit.log")" = "$anchor"

# -- restore into a new station directory: the backup, the secrets kept apart, the batch again
st2=$T/restored
cp -a "$T/bk" "$st2" && chmod 755 "$st2" && cp -p "$st/so-pin" "$st/ca-pass" "$st2/"
expect_status 0 "the restored audit log verifies against its head and anchor" -- "$SEALKEY" audit verify --station "$st2"
expect_status 0 "the restored station finishes the batch" -- "$SEALKEY" batch --station "$st2" --orders "$orders" --jobs 1
check "every order verified on the restored station" test "$(verified "$st2/ledger.sqlite")" = 10
expect_status 0 "reconcile on the restored station is clean" -- "$SEALKEY" ledger reconcile --station "$st2" --no-tokens
expect_output ": clean$" "reconcile says clean"
# What the restore cannot know: tokens the lost station made after the backup. Reconcile
# names each (the restored station issued those orders again on new tokens), and nothing else.
"$SEALKEY" ledger reconcile --station "$st2" > "$T/out" 2>&1
check "with the tokens: only the tokens made after the backup are unknown" test -z "$(grep -E '^[a-z_]+:' "$T/out" | grep -v '^token_unknown:')"
for n in $(sqlite3 "$T/bk/ledger.sqlite" "SELECT order_number FROM issuances WHERE step='verified'"); do
    check "$n, verified before the backup, is not among them" test -z "$(grep "^token_unknown: order $n," "$T/out")"
done
# (the order in flight at the backup may have been resumed on its token by its label)
lost=$(grep -c '^token_unknown: order BK-' "$T/out")
check "each order verified after the backup has its lost token named ($lost)" test "$lost" -ge $((9 - in_backup)) -a "$lost" -le $((10 - in_backup))

# -- as one archive: the same files, a tar that the system's tar reads, 0600
expect_status 0 "backup into an archive" -- "$SEALKEY" ledger backup --station "$st" --to "$T/bk2.tar"
check "the archive is 0600" test "$(stat -c %a "$T/bk2.tar")" = 600
mkdir "$T/x" && tar -xf "$T/bk2.tar" -C "$T/x" 2>"$T/tar.err"
check "tar reads it ($(cat "$T/tar.err"))" test -s "$T/x/bk2/ledger.sqlite" -a -s "$T/x/bk2/ca/issuing.key"
check "its entries keep their modes" test -z "$(find "$T/x/bk2" \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \))"
check "its files are the station's" cmp -s "$T/x/bk2/audit.log" "$st/audit.log"
check "no temporary file or directory left beside it" test -z "$(ls -d "$T"/bk2.tar.* "$T"/bk2.tar.partial-* 2>/dev/null)"
cp -p "$st/so-pin" "$st/ca-pass" "$T/x/bk2/" && chmod 755 "$T/x/bk2"
expect_status 0 "the archive restores to a station that reconciles clean" -- "$SEALKEY" ledger reconcile --station "$T/x/bk2" --no-tokens
expect_status 4 "never over an existing archive" -- "$SEALKEY" ledger backup --station "$st" --to "$T/bk2.tar"
expect_output "bk2.tar exists; a backup goes to a new file" "existing archive named"

# -- refused
expect_status 4 "an existing target" -- "$SEALKEY" ledger backup --station "$st" --to "$T/bk"
expect_output "bk exists; a backup goes to a new directory" "existing target named"
expect_status 2 "backup without --to" -- "$SEALKEY" ledger backup --station "$st"
expect_status 2 "--to on another verb" -- "$SEALKEY" ledger export --station "$st" --to "$T/x"

# -- a migration backs the ledger up first
# A version 5 ledger: a new one with migration 6 undone.
"$SEALKEY" ledger init --ledger "$T/old.sqlite" >/dev/null 2>&1 || fail "ledger init"
sqlite3 "$T/old.sqlite" "DROP INDEX issuances_one_in_flight; DROP INDEX issuances_one_verified;
    DROP INDEX issuances_token; CREATE UNIQUE INDEX issuances_one_live ON issuances(order_number)
    WHERE step NOT IN ('failed', 'superseded', 'revoked'); ALTER TABLE issuances DROP COLUMN csr_pem; ALTER TABLE issuances DROP COLUMN enc_cert_serial; ALTER TABLE issuances DROP COLUMN enc_cert_pem; PRAGMA user_version = 5" >/dev/null
expect_status 0 "migrate an older ledger" -- "$SEALKEY" ledger migrate --ledger "$T/old.sqlite"
expect_output "kept in .*/old.sqlite.v5.bak" "migrate names the copy"
check "the copy keeps the old schema version" test "$(sqlite3 "$T/old.sqlite.v5.bak" 'PRAGMA user_version')" = 5
check "the copy is 0600" test "$(stat -c %a "$T/old.sqlite.v5.bak")" = 600
finish
