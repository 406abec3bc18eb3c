# What needs no server, one binary: the capture engine's parts (watermark,
# positions, names, the pgoutput decoder fed bytes, the pipeline with fake sinks;
# the binlog decoder fed MySQL 8 fixtures; the wake-up sender's thread).
meowmx_add_test(unit_test ${CMAKE_CURRENT_LIST_DIR}/unit/capture_unit_test.cc
                ${CMAKE_CURRENT_LIST_DIR}/unit/mysql_binlog_unit_test.cc)
target_include_directories(unit_test PRIVATE ${PROJECT_SOURCE_DIR}/lib/src)
target_link_libraries(unit_test PRIVATE PkgConfig::MARIADB)
set_tests_properties(unit_test PROPERTIES TIMEOUT 60)
target_sources(unit_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/unit/replicator_unit_test.cc)
target_sources(unit_test PRIVATE ${CMAKE_CURRENT_LIST_DIR}/unit/wake_up_sender_unit_test.cc)
