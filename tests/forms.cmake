# Forms (templates/): rendering, the seal-collection round trip, the CLI with poppler's tools.
sk_add_c_test(test_form_extract SOURCES test_form_extract.c LIBS sk_forms scangen_lib m)
