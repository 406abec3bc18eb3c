meowmx_add_test(store_test ${CMAKE_CURRENT_LIST_DIR}/store_test.cc)
