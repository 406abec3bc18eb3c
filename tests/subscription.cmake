# Subscriptions on a real PostgreSQL, one throwaway cluster per binary so ctest
# can run them side by side:
# subscription_test           the C++ API: delivery order, checkpoints,
#                             categories, batches, start from now, exactly-once
#                             effects, retries and dead letters (subscription_test.cc);
#                             long transactions holding delivery back, several
#                             workers, consumer groups, NOTIFY wake-up
#                             (subscription_concurrency_test.cc);
# subscription_restart_test   a worker surviving a server restart and a crash;
# subscription_cli_test       `meowmx sub`, `status`, `sub-reset`, `sub-delete`;
# subscription_stress_test    writers, rollbacks, long transactions, worker
#                             processes killed with SIGKILL and a server restart,
#                             then exactly-once, in-order delivery is checked.
#                             Ten short runs in a row (MEOWMX_STRESS_RUNS,
#                             MEOWMX_STRESS_SECONDS of writing each, default 8).
meowmx_add_test(subscription_test
  ${CMAKE_CURRENT_LIST_DIR}/subscription_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/subscription_concurrency_test.cc)
# One test looks at the plan of the library's round statement.
target_include_directories(subscription_test PRIVATE ${PROJECT_SOURCE_DIR}/lib/src)
meowmx_add_test(subscription_restart_test ${CMAKE_CURRENT_LIST_DIR}/subscription_restart_test.cc)
meowmx_add_test(subscription_cli_test ${CMAKE_CURRENT_LIST_DIR}/subscription_cli_test.cc)

# The worker process of the stress test: one Client::subscribe() run writing
# an exactly-once read model, killed and restarted by the test.
add_executable(subscription_stress_worker ${CMAKE_CURRENT_LIST_DIR}/subscription_worker_main.cc)
target_link_libraries(subscription_stress_worker PRIVATE meowmx::meowmx spdlog::spdlog)
target_compile_options(subscription_stress_worker PRIVATE ${MEOWMX_WARNINGS})

meowmx_add_test(subscription_stress_test ${CMAKE_CURRENT_LIST_DIR}/subscription_stress_test.cc)
target_compile_definitions(subscription_stress_test PRIVATE
  MEOWMX_STRESS_WORKER_PATH="$<TARGET_FILE:subscription_stress_worker>")
add_dependencies(subscription_stress_test subscription_stress_worker)

set_tests_properties(subscription_test subscription_restart_test subscription_cli_test
  PROPERTIES TIMEOUT 180)
set_tests_properties(subscription_stress_test PROPERTIES TIMEOUT 600)
