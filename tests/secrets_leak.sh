#!/usr/bin/env bash
# No secret leaks: a whole issuance (ca init, issue with a chosen and a random user PIN, a
# batch, a delivery note, audit verify) runs with distinctive PINs and passphrases given only
# through env: and file: sources, under strace. Then none of them may appear in any child's
# argv, in what the commands printed, in the ledger, the audit log, any file of the station
# (the 0600 PIN mailers alone may carry the user PIN) or the token store; every sealkey
# process must have made itself non-dumpable (no core file with a PIN in it); and each file
# must have its mode: 0600 for keys, PIN mailers, ledger and audit log, 0644 for
# certificates, seals, pictures and PDFs.
source "$SOURCE_DIR/tests/lib.sh"
command -v strace >/dev/null || { echo "strace missing: skipped"; exit 0; }

# Distinctive values, so a hit is never a coincidence.
SO_PIN='SoPin-CANARY-7q2Xw9'
CA_PASS='CaPass-CANARY-passphrase-Vv31'
USER_PIN='80417356'   # a chosen user PIN must be digits; eight of them, checked in text files only
export SK_LEAK_SO_PIN=$SO_PIN SK_LEAK_USER_PIN=$USER_PIN
export SEALKEY_OPERATOR=leak-tester

st=$T/station
mkdir -p "$st" "$T/secrets" "$T/logs" "$T/trace"
umask 077
printf '%s\n' "$CA_PASS" > "$T/secrets/ca-pass"
umask 022
# The example config, with the SO PIN from the environment and the CA passphrase from a file
# outside the station directory.
sed -e 's|"so_pin": *"[^"]*"|"so_pin": "env:SK_LEAK_SO_PIN"|' \
    -e "s|\"passphrase\": *\"[^\"]*\"|\"passphrase\": \"file:$T/secrets/ca-pass\"|" \
    "$SOURCE_DIR/examples/station.json" > "$st/station.json"
check "station.json names env:/file: sources" grep -q 'env:SK_LEAK_SO_PIN' "$st/station.json"

n=0
# run NAME -- command...: under strace (execve of every child, and prctl), output kept.
run() {
    local name=$1; shift 2
    n=$((n + 1))
    # LeakSanitizer stops the world with ptrace, which it cannot do under strace: leaks are
    # checked by every other test of the ASan build, not by this one.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
        strace -f -qq -e trace=execve,prctl -s 4096 -o "$T/trace/$n-$name" "$@" \
        >"$T/logs/$n-$name.out" 2>&1
    local rc=$?
    cp "$T/logs/$n-$name.out" "$T/out"
    return $rc
}

orders=$SOURCE_DIR/examples/orders.json
run ca-init -- "$SEALKEY" ca init --station "$st"; check "ca init" test $? -eq 0
run issue-chosen -- "$SEALKEY" issue --station "$st" --orders "$orders" --order JX2026-000101 \
    --user-pin env:SK_LEAK_USER_PIN
check "issue with a chosen PIN" test $? -eq 0
run issue-random -- "$SEALKEY" issue --station "$st" --orders "$orders" --order JX2026-000102 \
    --ca-pass "file:$T/secrets/ca-pass"
check "issue with a random PIN" test $? -eq 0
clone_orders 3 LEAK GCJS "$T/o"
run batch -- "$SEALKEY" batch --station "$st" --orders "$T/o/orders.json" --jobs 2
check "batch of three" test $? -eq 0
run form -- "$SEALKEY" form delivery --station "$st" --orders "$orders" --order JX2026-000102 \
    -o "$st/out/JX2026-000102/delivery.pdf"
check "delivery note" test $? -eq 0
run audit -- "$SEALKEY" audit verify --station "$st"; check "audit verify" test $? -eq 0
run status -- "$SEALKEY" status --station "$st" --json; check "status" test $? -eq 0
sqlite3 "$st/ledger.sqlite" .dump > "$T/logs/ledger.dump" 2>&1

# The random user PINs, from their mailers: text outputs must not carry them either.
pins=()
while IFS= read -r m; do
    p=$(sed -n 's/^user PIN: *//p' "$m")
    [ -n "$p" ] && pins+=("$p")
done < <(find "$st" -name pin-mailer.txt)
check "PIN mailers for the random-PIN orders (got ${#pins[@]})" test "${#pins[@]}" -ge 4

# 1. argv of every process started: only execve lines, whose argv strace prints in full.
for s in "$SO_PIN" "$CA_PASS" "$USER_PIN" "${pins[@]}"; do
    if grep -h 'execve(' "$T"/trace/* | grep -qF -- "$s"; then
        fail "a secret is in a child's argv: $(grep -h 'execve(' "$T"/trace/* | grep -F -- "$s" | head -1)"
    else ok; fi
done
check "strace saw the runs" test "$(grep -ch 'execve(' "$T"/trace/* | paste -sd+ | bc)" -ge 7

# 2. Every sealkey process (batch workers included) made itself non-dumpable before work.
sealkey_pids=$(grep -h "execve(\"$SEALKEY\"" "$T"/trace/* | awk '{print $1}' | sort -u | wc -l)
nodump_pids=$(grep -h 'prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE' "$T"/trace/* | awk '{print $1}' | sort -u | wc -l)
check "every sealkey process sets PR_SET_DUMPABLE 0 ($nodump_pids of $sealkey_pids)" \
    test "$nodump_pids" -ge "$sealkey_pids" -a "$sealkey_pids" -ge 7

# 3. The distinctive secrets: nowhere in outputs, station files (binary ones too: ledger,
#    WAL, keys, seals, PDFs) or the token store. (A chosen user PIN goes to its order's
#    mailer like a drawn one: that is the mailer's job.)
scan_files=$(find "$st" "$T/logs" "$T/hsm" -type f ! -name pin-mailer.txt)
check "the scan reads the station's files ($(echo "$scan_files" | wc -l))" \
    test "$(echo "$scan_files" | wc -l)" -ge 30
check "the scan would see a secret (the CA passphrase source file)" grep -qaF -- "$CA_PASS" "$T/secrets/ca-pass"
for s in "$SO_PIN" "$CA_PASS"; do
    hits=$(echo "$scan_files" | xargs grep -laF -- "$s")
    if [ -n "$hits" ]; then fail "secret '$s' found in: $hits"; else ok; fi
done
# The digit PINs are checked in the text outputs only: eight digits can turn up by chance
# in compressed or random binary data.
text_files=$(find "$T/logs" "$st" -type f \( -name '*.out' -o -name '*.dump' -o -name '*.json' \
    -o -name 'audit.*' -o -name '*.pem' -o -name '*.txt' -o -name '*.crt' \) ! -name pin-mailer.txt)
for s in "$USER_PIN" "${pins[@]}"; do
    hits=$(echo "$text_files" | xargs grep -lF -- "$s")
    if [ -n "$hits" ]; then fail "user PIN $s found in: $hits"; else ok; fi
done

# 4. File modes. Anything not listed below is reported, so a new kind of file is looked at.
bad_modes=""
while IFS= read -r f; do
    mode=$(stat -c %a "$f") rel=${f#"$st"/}
    case $rel in
    *.key | */pin-mailer.txt | ledger.sqlite* | audit.log | audit.head | *.lock) want=600 ;;
    *.crt | *.pem | *.esl | *.png | *.pdf | station.json | *.crl) want=644 ;;
    *) want="?" ;;
    esac
    if [ "$want" = "?" ]; then
        echo "note: unclassified file $rel mode $mode" >&2
    elif [ "$mode" != "$want" ]; then
        bad_modes="$bad_modes $rel=$mode(want $want)"
    fi
done < <(find "$st" -type f)
check "file modes:${bad_modes:- all as expected}" test -z "$bad_modes"
check "audit.log exists" test -f "$st/audit.log"
check "a key file exists" test -n "$(find "$st/ca" -name '*.key' | head -1)"
finish
