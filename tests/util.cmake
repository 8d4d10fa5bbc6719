sk_add_c_test(test_util SOURCES test_util.c LIBS sk_util)
