# sealkey ledger backup (issue 16, item 5): a consistent copy of a running station, restored.
sk_add_sh_test(ledger_backup ledger_backup.sh)
