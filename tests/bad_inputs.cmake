sk_add_sh_test(bad_inputs bad_inputs.sh)
# About 130 refused inputs: 20 s plain, a few minutes when scripts/valgrind.sh runs every
# sealkey process of it under memcheck on a busy machine.
set_tests_properties(bad_inputs PROPERTIES TIMEOUT 900)
