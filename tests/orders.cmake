# Orders and station config. The unit test compiles the order and station sources itself so
# that it builds and runs while other layers are broken or unfinished.
set(SK_ORDER_SOURCES
    ${CMAKE_SOURCE_DIR}/issuer/order.c ${CMAKE_SOURCE_DIR}/issuer/order_check.c
    ${CMAKE_SOURCE_DIR}/issuer/order_fields.c ${CMAKE_SOURCE_DIR}/issuer/order_ids.c
    ${CMAKE_SOURCE_DIR}/issuer/station.c)
sk_add_c_test(test_orders_ids SOURCES test_orders_ids.c ${SK_ORDER_SOURCES}
              LIBS PkgConfig::JANSSON)
sk_add_sh_test(orders_check orders_check.sh)
sk_add_sh_test(orders_station orders_station.sh)
sk_add_sh_test(orders_big orders_big.sh)
