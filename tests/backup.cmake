# sealkey ledger backup (issue 16, item 5): a consistent copy of a running station, restored.
sk_add_sh_test(ledger_backup ledger_backup.sh)
# On a shared ledger: only the CA and station.json; the ledger is pg_dump's (docs/ledger.md).
sk_add_sh_test(ledger_backup_pg ledger_backup_pg.sh)
set_tests_properties(ledger_backup_pg PROPERTIES RUN_SERIAL TRUE)
