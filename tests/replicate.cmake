# The replicator on a real PostgreSQL (and a real ZeroMQ socket on 127.0.0.1),
# one throwaway cluster per binary so ctest can run them side by side:
# replicate_test      the C++ API: per-pk order through the capture input with 8
#                     workers and a restart, the subscription input's checkpoint and
#                     parking table, the zmq input's frames;
# replicate_cli_test  `meowmx replicate`: kill -9 under a writer and a restart,
#                     --target postgres equal to its source, bad input.
meowmx_add_test(replicate_test ${CMAKE_CURRENT_LIST_DIR}/replicate_test.cc LIBS zmq::zmq)
meowmx_add_test(replicate_cli_test ${CMAKE_CURRENT_LIST_DIR}/replicate_cli_test.cc)
set_tests_properties(replicate_test replicate_cli_test PROPERTIES TIMEOUT 300)
