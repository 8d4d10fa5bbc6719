# cmake --install into a temporary prefix; then, with the source and build trees hidden (a
# private mount namespace puts an empty tmpfs over both), a demo issuance on SoftHSM, a form
# and `man` from the installed files only, and the prefix moved elsewhere still works. The
# installed man pages cover every command of the table and every option of its --help.
. "$SOURCE_DIR/tests/lib.sh"
P=$T/prefix
expect_status 0 "cmake --install" -- cmake --install "$BUILD_DIR" --prefix "$P"
SK=$P/bin/sealkey
MAN=$P/share/man/man1
for f in bin/sealkey share/sealkey/templates/application.json share/man/man1/sealkey.1 \
    share/bash-completion/completions/sealkey lib/systemd/system/sealkey-station@.service \
    lib/sysusers.d/sealkey.conf share/doc/sealkey/examples/station.json \
    share/doc/sealkey/examples/demo/orders.json; do
    check "installed $f" test -s "$P/$f"
done
# Every template of the source is installed (a form added later included).
for f in "$SOURCE_DIR"/templates/*.json; do
    check "installed template $(basename "$f")" test -s "$P/share/sealkey/templates/$(basename "$f")"
done

# The service's example station loads (module, readers, log): order check reads it.
mkdir "$T/ex" && cp "$P/share/doc/sealkey/examples/station.json" "$T/ex/"
"$SK" order check --station "$T/ex" "$P/share/doc/sealkey/examples/demo/orders.json" >"$T/out" 2>&1
st=$?
check "example station.json loads (order check exit $st: $(grep station.json "$T/out"))" \
    test "$st" -le 1

# Man pages in sync with --help: a page per row of the command table, naming every option
# its --help names, and sealkey(1) naming every command.
render() { MANWIDTH=200 LC_ALL=C.UTF-8 man -l "$1" 2>/dev/null | col -b; }
render "$MAN/sealkey.1" >"$T/sealkey.txt"
for o in --help --version --list-commands; do
    check "sealkey(1) names $o" grep -qF -- "$o" "$T/sealkey.txt"
done
n=0
while IFS=$'\t' read -r cmd _; do
    n=$((n + 1))
    page=$MAN/sealkey-${cmd// /-}.1
    if ! test -s "$page"; then fail "no man page for '$cmd' ($page)"; continue; fi
    check "sealkey(1) lists 'sealkey $cmd'" grep -qF -- "sealkey $cmd" "$T/sealkey.txt"
    render "$page" >"$T/page.txt"
    # shellcheck disable=SC2086
    "$SK" $cmd --help >"$T/help.txt" 2>&1
    for o in $(grep -oE -- '(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z0-9-]*' "$T/help.txt" |
               grep -oE -- '--?[a-zA-Z][a-zA-Z0-9-]*' | sort -u); do
        grep -qF -- "$o" "$T/page.txt" && ok || fail "man page of '$cmd' lacks $o"
    done
done < <("$SK" --list-commands)
check "the table has commands ($n)" test "$n" -ge 10
# The commands merged after the man pages were made are in them, with the one --json.
for cmd in "token show" "token unblock" "token hold" "token release" "token lost" "ca request" \
    "ca import" ocsp-index csr-export cert-import "seal sign"; do
    render "$MAN/sealkey-${cmd// /-}.1" >"$T/page.txt"
    check "man page of '$cmd' documents --json" grep -qE -- '--json[[:space:]]+the result as one JSON' "$T/page.txt"
done

# The unit is well-formed and its Documentation= pages resolve in the installed man pages.
if command -v systemd-analyze >/dev/null; then
    mkdir "$T/unit"
    sed "s|^ExecStart=[^ ]*|ExecStart=$SK|" "$P/lib/systemd/system/sealkey-station@.service" \
        >"$T/unit/sealkey-station@t.service"
    (cd "$T/unit" && MANPATH=$P/share/man timeout 60 systemd-analyze verify \
        ./sealkey-station@t.service) >"$T/out" 2>&1
    check "systemd-analyze verify: $(cat "$T/out")" test ! -s "$T/out"
fi

# The completion offers commands, verbs and options from the installed binary.
PATH=$P/bin:$PATH bash -c '. "$1"; c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sealkey;
    echo "${COMPREPLY[*]}"; }; c sealkey bat; c sealkey seal ve; c sealkey batch --jo' _ \
    "$P/share/bash-completion/completions/sealkey" >"$T/out" 2>&1
expect_output '^batch$' "completion: command"
expect_output '^verify$' "completion: verb"
expect_output '^--jobs$' "completion: option"

# From the installed files alone. The inner script runs with the source and build trees
# hidden (the build tree first: it is usually inside the source tree); the SoftHSM store
# made by lib.sh is in $T.
cat >"$T/inner.sh" <<'INNER'
set -u
P=$1 W=$2 SK=$1/bin/sealkey EX=$1/share/doc/sealkey/examples/demo
fails=0
no() { echo "FAIL (installed): $*" >&2; fails=$((fails + 1)); }
[ -z "$(ls -A "$SOURCE_DIR")" ] && [ -z "$(ls -A "$BUILD_DIR")" ] || no "trees not hidden"
mkdir -p "$W/st" && cp "$EX/station.json" "$W/st/" && cd "$W"
(umask 077; echo 'so-pin-4711' >st/so-pin; echo 'ca passphrase for tests' >st/ca-pass)
"$SK" ca init --station st >out 2>&1 || { no "ca init"; cat out >&2; }
"$SK" issue --station st --orders "$EX/orders.json" --order JX2026-000102 >out 2>&1 ||
    { no "issue"; cat out >&2; }
openssl verify -CAfile st/ca/chain.pem st/out/JX2026-000102/cert.pem >out 2>&1 ||
    { no "certificate does not verify"; cat out >&2; }
"$SK" form application --station st --orders "$EX/orders.json" --order JX2026-000102 \
    -o app.pdf >out 2>&1 || { no "form"; cat out >&2; }
pdftotext app.pdf - 2>/dev/null | grep -q JX2026-000102 || no "form PDF lacks the order"
MANWIDTH=100 man -l "$P/share/man/man1/sealkey-issue.1" 2>&1 | grep -q -- '--reissue' ||
    no "man -l sealkey-issue.1"
MANPATH=$P/share/man man sealkey-batch 2>&1 | grep -q -- '--jobs' || no "man sealkey-batch"
# The prefix moved: the binary still finds its templates beside it.
mv "$P" "$P.moved"
"$P.moved/bin/sealkey" form authorization --station st --orders \
    "$P.moved/share/doc/sealkey/examples/demo/orders.json" --order JX2026-000102 \
    -o auth.pdf >out 2>&1 || { no "form from a moved prefix"; cat out >&2; }
mv "$P.moved" "$P"
exit $((fails > 0))
INNER
mkdir "$T/work"
# A sanitizer run's leak suppressions (tests/lsan.supp, third-party leaks such as
# fontconfig's) are in the source tree, which is about to be hidden: a copy goes along.
if [[ ${LSAN_OPTIONS:-} == *suppressions=* ]]; then
    cp "$SOURCE_DIR/tests/lsan.supp" "$T/lsan.supp"
    export LSAN_OPTIONS=$(sed "s|suppressions=[^:]*|suppressions=$T/lsan.supp|" <<<"$LSAN_OPTIONS")
fi
unshare --mount --propagation private bash -c \
    'mount -t tmpfs sk-hidden "$BUILD_DIR" && mount -t tmpfs sk-hidden "$SOURCE_DIR" &&
     exec bash "$1/inner.sh" "$2" "$1/work"' _ "$T" "$P" >"$T/out" 2>&1
st=$?
check "installed sealkey without source or build tree" test "$st" -eq 0
[ "$st" -eq 0 ] || sed 's/^/    /' "$T/out" >&2
finish
