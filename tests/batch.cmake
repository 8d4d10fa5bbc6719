# Batch production: concurrency, failures that do not stop the rest, crash-safe resume.
sk_add_sh_test(batch_run batch_run.sh)
sk_add_sh_test(batch_crash batch_crash.sh)
set_tests_properties(batch_crash PROPERTIES TIMEOUT 600)
