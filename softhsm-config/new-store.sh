#!/usr/bin/env bash
# Create a throwaway SoftHSM2 token store in DIR and print the export line for it.
#   eval "$(softhsm-config/new-store.sh DIR)"
# The store has its own softhsm2.conf and token directory; the system store is never used.
set -euo pipefail
dir=${1:?usage: new-store.sh DIR}
mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
cat > "$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
echo "export SOFTHSM2_CONF='$dir/softhsm2.conf'"
