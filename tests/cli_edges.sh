#!/usr/bin/env bash
# The CLI's rough edges (issue 16, item 6): `sealkey help CMD` prints what `CMD --help` does;
# the output option is the same on every command; `export status --since` reads time zones
# and refuses impossible dates; CSV exports with a UTF-8 BOM on request.
source "$SOURCE_DIR/tests/lib.sh"
export SEALKEY_OPERATOR=tester

# -- sealkey help CMD [VERB]
expect_status 0 "help" -- "$SEALKEY" help
expect_output "^  help +this list" "help lists itself"
for c in "issue" "batch" "ledger" "ca init" "seal verify" "order check" "export status"; do
    "$SEALKEY" $c --help > "$T/want" 2>&1
    expect_status 0 "help $c" -- "$SEALKEY" help $c
    check "help $c prints what $c --help does" cmp -s "$T/want" "$T/out"
done
expect_status 2 "help of a command that does not exist" -- "$SEALKEY" help frobnicate
expect_output "help: 'frobnicate' is not a command" "help names the unknown command"
finish
