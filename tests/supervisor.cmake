# The supervisor of batch and station workers (issuer/supervisor/supervisor.h): its pipe frames, and
# forked workers held to time limits, stopped and judged, without tokens.
sk_add_c_test(test_supervisor SOURCES test_supervisor.c LIBS sk_issuer)
