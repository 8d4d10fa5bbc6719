# Forms (templates/): rendering, the seal-collection round trip, the CLI with poppler's tools.
sk_add_c_test(test_form_extract SOURCES test_form_extract.c LIBS sk_forms scangen_lib m)
sk_add_c_test(test_form_render SOURCES test_form_render.c LIBS sk_forms)
sk_add_sh_test(forms_cli forms_cli.sh)
# Ledger data for the delivery-note test and bench/forms.sh (not a test).
add_executable(form_ledger_fixture ${CMAKE_CURRENT_SOURCE_DIR}/form_ledger_fixture.c)
set_target_properties(form_ledger_fixture PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
target_link_libraries(form_ledger_fixture PRIVATE sk_issuer sk_util)
