# No PIN or passphrase in argv, outputs, ledger, audit log or station files; no core dumps;
# file modes (tests/secrets_leak.sh).
sk_add_sh_test(secrets_leak secrets_leak.sh)
