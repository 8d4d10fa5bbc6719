# Orders and station config.
sk_add_c_test(test_orders_ids SOURCES test_orders_ids.c LIBS sk_issuer)
sk_add_sh_test(orders_check orders_check.sh)
sk_add_sh_test(orders_station orders_station.sh)
sk_add_sh_test(orders_big orders_big.sh)
sk_add_c_test(test_orders_names SOURCES test_orders_names.c LIBS sk_issuer)
sk_add_c_test(test_order_problems SOURCES test_order_problems.c LIBS sk_issuer)
