# Functions every test directory uses, so that labels and discovery stay uniform.
#   spacelet_unit_test(name SOURCES ... LIBRARIES ...)         label "unit": no root, hermetic
#   spacelet_integration_test(name SOURCES ... LIBRARIES ...)  label "integration": root, real kernel
# Integration test binaries are also collected (SPACELET_PRIVILEGED_TEST_TARGETS) so the VM
# harness (tests/vm) can run the same binaries on a kernel with every cgroup v2 controller.
include(GoogleTest)

add_custom_target(unit-tests)
add_custom_target(integration-tests)
set_property(GLOBAL PROPERTY SPACELET_PRIVILEGED_TEST_TARGETS "")

function(spacelet_test_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES} spacelet::base PkgConfig::GTEST
                        PkgConfig::NLOHMANN_JSON)
  target_compile_definitions(${name} PRIVATE
    SPACELET_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    SPACELET_BINARY_DIR="${PROJECT_BINARY_DIR}")
endfunction()

function(spacelet_unit_test name)
  spacelet_test_executable(${name} ${ARGN})
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
  add_dependencies(unit-tests ${name})
endfunction()

function(spacelet_integration_test name)
  spacelet_test_executable(${name} ${ARGN})
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS integration)
  add_dependencies(integration-tests ${name})
  set_property(GLOBAL APPEND PROPERTY SPACELET_PRIVILEGED_TEST_TARGETS ${name})
endfunction()
