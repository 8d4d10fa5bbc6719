#!/usr/bin/env bash
# Generate the man pages from the binary itself, so that they cannot drift from --help:
#   dist/gen-man.sh SEALKEY sealkey.1.in OUTDIR DATADIR DOCDIR
# sealkey(1) is the hand-written prose of sealkey.1.in with its COMMANDS list filled in;
# every row of the command table (sealkey --list-commands) gets sealkey-NAME[-VERB](1): its
# NAME line from the table's summary, its SYNOPSIS from the usage lines of `--help`, and the
# rest of `--help` verbatim (no-fill) as DESCRIPTION. Why not help2man: it expects GNU-style
# option lists and one program per page, and would need a wrapper per command; this script
# is shorter than those wrappers, needs nothing beyond bash, awk and sed, and keeps the text
# exactly as the command prints it. The build runs it (dist/CMakeLists.txt) after each link.
set -euo pipefail
bin=$1 tmpl=$2 out=$3 datadir=$4 docdir=$5
mkdir -p "$out"
rm -f "$out"/sealkey*.1
version=$("$bin" --version | sed 's/^sealkey //')

# Text -> roff: backslashes and hyphens escaped (\- is a real minus, so `--json` stays
# searchable and copyable), a leading . or ' made literal.
roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

commands=$("$bin" --list-commands)
see_also=""
list=""
while IFS=$'\t' read -r cmd summary; do
    page="sealkey-${cmd// /-}"
    group=${cmd%% *}
    # A verb's row has no summary of its own: its page takes its group's, and sealkey(1)
    # lists it with its page only.
    if [ -n "$summary" ]; then
        entry="$(roff <<<"$summary") (\\fB$(roff <<<"$page")\\fR(1))"
    else
        entry="\\fB$(roff <<<"$page")\\fR(1)"
    fi
    [ -n "$summary" ] || summary=$(awk -F'\t' -v g="$group" '$1 == g {print $2}' <<<"$commands")
    # A command's help is its page: one that prints none stops the build, loudly.
    help=$("$bin" $cmd --help 2>&1) || true
    if [ -z "$help" ]; then
        echo "gen-man.sh: 'sealkey $cmd --help' printed nothing" >&2
        exit 1
    fi
    {
        printf '.TH %s 1 "" "sealkey %s" "sealkey manual"\n' "${page^^}" "$version"
        printf '.SH NAME\n%s \\- %s\n' "$(roff <<<"$page")" "$(roff <<<"$summary")"
        # The usage: its first line and the lines indented under it that go on with it.
        awk 'NR == 1 { sub(/^usage: */, ""); print; next }
             /^    / && !done { sub(/^ +/, ""); if ($0 !~ /^sealkey /) $0 = "    " $0; print; next }
             { done = 1 }' <<<"$help" | roff | sed -e '1i .SH SYNOPSIS\n.nf' -e '$a .fi'
        awk 'NR == 1 { next } /^    / && !done { next } { done = 1; print }' <<<"$help" |
            roff | sed -e '1i .SH DESCRIPTION\n.nf' -e '$a .fi'
        printf '.SH SEE ALSO\n.BR sealkey (1)\n'
    } >"$out/$page.1"
    list+=".TP"$'\n'".B sealkey $(roff <<<"$cmd")"$'\n'"$entry"$'\n'
    see_also+=".BR $(roff <<<"$page") (1),"$'\n'
done <<<"$commands"

# sealkey(1): the prose, the commands listed and every page named.
# (Through the environment: awk -v would take the roff backslashes as its own escapes.)
LIST=$list SEE=${see_also%,$'\n'} VERSION=$version DATADIR=$(roff <<<"$datadir") \
DOCDIR=$(roff <<<"$docdir") awk '
    /^@COMMANDS@$/ { printf "%s", ENVIRON["LIST"]; next }
    /^@SEE_ALSO@$/ { print ENVIRON["SEE"]; next }
    { gsub(/@VERSION@/, ENVIRON["VERSION"]); gsub(/@DATADIR@/, ENVIRON["DATADIR"]);
      gsub(/@DOCDIR@/, ENVIRON["DOCDIR"]); print }' "$tmpl" >"$out/sealkey.1"
