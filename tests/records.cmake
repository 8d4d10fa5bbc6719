# Records beside the token: status export, shipping manifest, waybills, revocation and CRLs.
sk_add_sh_test(records_export records_export.sh)
