sk_add_sh_test(bad_inputs bad_inputs.sh)
