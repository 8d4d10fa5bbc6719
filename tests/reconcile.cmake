# sealkey ledger reconcile (issue 11): the lifecycle invariant checked against the ledger, the
# tokens and the audit log, and the audit log's anchor in the ledger.
sk_add_sh_test(reconcile reconcile.sh)
set_property(TEST reconcile APPEND PROPERTY ENVIRONMENT AUDIT_APPEND=$<TARGET_FILE:test_audit_append>)
