# What needs no server, one binary: the capture engine's parts (watermark,
# positions, names, the pgoutput decoder fed bytes, the pipeline with fake sinks).
meowmx_add_test(unit_test ${CMAKE_CURRENT_LIST_DIR}/unit/capture_unit_test.cc)
target_include_directories(unit_test PRIVATE ${PROJECT_SOURCE_DIR}/lib/src)
set_tests_properties(unit_test PROPERTIES TIMEOUT 60)
target_sources(unit_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/unit/replicator_unit_test.cc)
