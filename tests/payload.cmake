# Payloads and saves, through the C++ API and the CLI, in one binary (one throwaway cluster):
# payload_test.cc               exact payloads from input to every output, random documents
#                               against jsonb, the depth, size and number limits;
# save_in_transaction_test.cc   saves in the caller's transaction (outbox): commit,
#                               rollback, wake-up at commit, version check, idempotency.
meowmx_add_test(payload_test
  ${CMAKE_CURRENT_LIST_DIR}/payload_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/save_in_transaction_test.cc)
set_tests_properties(payload_test PROPERTIES TIMEOUT 180)
