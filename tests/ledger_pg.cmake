# The shared ledger (issue #6): the ledger suite against SQLite and PostgreSQL, the audit
# log in the database, export/import, faults, and two stations' batches on one ledger. The
# shell tests start a throwaway PostgreSQL cluster (tests/pg_cluster.sh).
add_executable(test_ledger_pg test_ledger_pg.c)
target_link_libraries(test_ledger_pg PRIVATE sk_issuer sk_util)
sk_add_sh_test(ledger_pg_suite pg_suite.sh)
sk_add_sh_test(ledger_pg_cli pg_cli.sh)
sk_add_sh_test(ledger_pg_stations pg_stations.sh)
set_tests_properties(ledger_pg_suite ledger_pg_cli ledger_pg_stations PROPERTIES RUN_SERIAL TRUE)
