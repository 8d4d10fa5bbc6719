# Records beside the token: status export, shipping manifest, waybills, revocation and CRLs.
sk_add_sh_test(records_export records_export.sh)
# The operations (issuer/operations/operations.h) called as a library: ca init, ship, revoke, crl and
# ledger export, each with its ledger change, files and audit record.
sk_add_c_test(test_operations SOURCES test_operations.c LIBS sk_issuer)
