# Issue 16, item 6: the CLI's rough edges (sealkey help CMD, the one output option, the one
# date parser, CSV with a BOM).
sk_add_sh_test(cli_edges cli_edges.sh)
sk_add_c_test(test_time SOURCES test_time.c)
