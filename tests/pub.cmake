# Change capture on a real PostgreSQL (logical decoding and triggers) and a
# real ZeroMQ socket on 127.0.0.1: the C++ API in one binary, the `meowmx
# pub` command line (kill -9 and restart included) in another, each with its
# own throwaway cluster so ctest can run them side by side.
meowmx_add_test(pub_test ${CMAKE_CURRENT_LIST_DIR}/pub_test.cc)
meowmx_add_test(pub_cli_test ${CMAKE_CURRENT_LIST_DIR}/pub_cli_test.cc LIBS zmq::zmq)
set_tests_properties(pub_test pub_cli_test PROPERTIES TIMEOUT 180)
meowmx_add_test(pub_trigger_test ${CMAKE_CURRENT_LIST_DIR}/pub_trigger_test.cc)
# Crashes its own cluster and changes its settings: a binary of its own.
meowmx_add_test(pub_crash_test ${CMAKE_CURRENT_LIST_DIR}/pub_crash_test.cc)
set_tests_properties(pub_crash_test PROPERTIES TIMEOUT 400)
