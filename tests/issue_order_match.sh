#!/usr/bin/env bash
# Problems belong to the order they name, never to another whose number merely starts the
# same: JX-1 is issued while JX-10 in the same file is refused, and a form refused for
# JX-1's own problem names that one, not JX-10's (issue 12, item 5).
source "$SOURCE_DIR/tests/lib.sh"
st=$T/station
make_station "$st"
"$SEALKEY" ca init --station "$st" >/dev/null 2>&1 || fail "ca init"
mkdir -p "$T/b" && cp -r "$SOURCE_DIR/examples/scans" "$T/b/"

# The first example order twice: JX-1 as it is, JX-10 with a problem of its own.
first=$(awk '/^  \{/{d=1} d{print} /^  \}/{exit}' "$SOURCE_DIR/examples/orders.json" | sed '$ s/},$/}/')
jx1=$(echo "$first" | sed -e 's/"order_number": "[^"]*"/"order_number": "JX-1"/')
jx10=$(echo "$first" | sed -e 's/"order_number": "[^"]*"/"order_number": "JX-10"/' \
    -e 's/"status": "approved"/"status": "pending"/')
printf '[\n%s,\n%s\n]\n' "$jx10" "$jx1" > "$T/b/orders.json"

expect_status 1 "order check sees JX-10's problem only" -- \
    "$SEALKEY" order check --station "$st" "$T/b/orders.json"
expect_output "order JX-10: review\.status: is 'pending'" "JX-10's problem reported"
expect_output '^2 orders, 1 problem in 1 order$' "only JX-10 has a problem"

expect_status 3 "JX-10 refused" -- "$SEALKEY" issue --station "$st" --orders "$T/b/orders.json" --order JX-10
expect_output "order JX-10: review\.status: is 'pending'" "JX-10 refused for its own problem"
expect_status 0 "JX-1 issued although JX-10 has a problem" -- \
    "$SEALKEY" issue --station "$st" --orders "$T/b/orders.json" --order JX-1
expect_no_output "JX-10" "JX-1 not refused for JX-10's problem"
expect_output "order JX-1 issued" "JX-1 issued"

# Both orders with a problem the loader finds (JX-10's listed first): the form of JX-1
# is refused for JX-1's.
printf '[\n%s,\n%s\n]\n' "$(echo "$jx10" | sed -e 's/"project_code"/"fax": "1", &/')" \
    "$(echo "$jx1" | sed -e 's/"project_code"/"tel": "1", &/')" > "$T/b/both.json"
expect_status 3 "form of JX-1 refused" -- "$SEALKEY" form application --station "$st" \
    --orders "$T/b/both.json" --order JX-1 -o "$T/jx1.pdf"
expect_output "order JX-1: tel: unknown field" "form names JX-1's own problem"
expect_no_output "JX-10" "form not refused for JX-10's problem"
check "no form written" test ! -e "$T/jx1.pdf"

expect_status 0 "ledger reconcile" -- "$SEALKEY" ledger reconcile --station "$st"
finish
