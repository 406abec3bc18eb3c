# The Redis event store on a throwaway redis-server (tests/support/servers/
# redis_server.h), each binary with its own servers so ctest runs them side by side:
# redis_store_test           the store's C++ API and `meowmx redis-store`;
# redis_sink_test            `pub --sink redis` from logical decoding: meepo's example,
#                            kill -9 of the pub, PostgreSQL and Redis restarts;
# redis_prepare_commit_test  writers killed around their commit or held open,
#                            `meowmx redis-recover` (also to a ZeroMQ SUB socket; the
#                            writer is redis_writer, a process the test kills).
meowmx_add_test(redis_store_test ${CMAKE_CURRENT_LIST_DIR}/redis_store_test.cc)
target_include_directories(redis_store_test PRIVATE ${PROJECT_SOURCE_DIR}/lib/src)
set_tests_properties(redis_store_test PROPERTIES TIMEOUT 120)
meowmx_add_test(redis_sink_test ${CMAKE_CURRENT_LIST_DIR}/redis_sink_test.cc)
target_include_directories(redis_sink_test PRIVATE ${PROJECT_SOURCE_DIR}/lib/src)
set_tests_properties(redis_sink_test PROPERTIES TIMEOUT 300)
add_executable(redis_writer ${CMAKE_CURRENT_LIST_DIR}/redis_writer_main.cc)
target_link_libraries(redis_writer PRIVATE meowmx::meowmx)
target_compile_options(redis_writer PRIVATE ${MEOWMX_WARNINGS})
meowmx_add_test(redis_prepare_commit_test ${CMAKE_CURRENT_LIST_DIR}/redis_prepare_commit_test.cc LIBS zmq::zmq)
target_include_directories(redis_prepare_commit_test PRIVATE ${PROJECT_SOURCE_DIR}/lib/src)
target_compile_definitions(redis_prepare_commit_test PRIVATE MEOWMX_REDIS_WRITER="$<TARGET_FILE:redis_writer>")
add_dependencies(redis_prepare_commit_test redis_writer)
set_tests_properties(redis_prepare_commit_test PROPERTIES TIMEOUT 180)
