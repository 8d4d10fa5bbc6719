# The hash-chained audit log (issuer/records/audit.c) and sealkey audit.
sk_add_c_test(test_audit SOURCES test_audit.c LIBS sk_issuer)

# A helper, not a test: appends records, for audit_cli.sh's concurrent writers.
add_executable(test_audit_append test_audit_append.c)
target_link_libraries(test_audit_append PRIVATE sk_issuer sk_util)
sk_add_sh_test(audit_cli audit_cli.sh)
set_property(TEST audit_cli APPEND PROPERTY ENVIRONMENT AUDIT_APPEND=$<TARGET_FILE:test_audit_append>)
# audit_cli.sh exits 77 while cli/main.c has no "audit" row.
set_property(TEST audit_cli PROPERTY SKIP_RETURN_CODE 77)
