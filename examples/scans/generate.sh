#!/bin/sh
# Regenerates the example scans from the synthetic generator (tests/scangen). All units,
# names and serial numbers are fictional. Usage: examples/scans/generate.sh BUILD_DIR
set -eu
G=${1:?usage: generate.sh BUILD_DIR}/tests/scangen
D=$(dirname "$0")
gen() { # order seed rotation name serial chars extra-official extra-legal-rep
    "$G" official "$D/$1-official.jpg" --seed "$2" --rotate "$3" --name "$4" --serial "$5" $7
    "$G" legal-rep "$D/$1-legal-rep.jpg" --seed "$(($2 + 50))" --rotate "$(($3 - 2))" --chars "$6" $8
}
gen JX2026-000101 101 2 "JIANGXI DEMO TRADING CO LTD" 3601020012345 WXMY "" ""
gen JX2026-000102 102 -3 "NANCHANG GREEN BUILDING MATERIALS CO LTD" 3601030045671 LJHY "--signature" ""
gen JX2026-000103 103 4 "GANZHOU RIVERSIDE ENGINEERING CO LTD" 3607020098812 ZSQY "--blue-text" ""
gen JX2026-000104 104 1 "JIUJIANG LAKESIDE SOFTWARE CO LTD" 3604020033107 CHWY "--signature --blue-text" ""
gen JX2026-000105 105 -2 "SHANGRAO MOUNTAIN TEA CO LTD" 3611020077420 HLFY "" ""
gen JX2026-000106 106 5 "PINGXIANG EXAMPLE CONSTRUCTION GROUP CO LTD" 3603020061593 YGPY "--signature" "--signature"
