# What `cmake --install` puts in place, and the Debian packages `cpack` builds from it
# (scripts/package.sh). Two components:
#   runtime  the `wfrun` program, libwfrun.so.<major.minor> and the tutorial's catalog
#            (share/wfrun/workflows, the catalog used when there is no ./workflows);
#   dev      the public headers, the libwfrun.so link, the CMake package
#            (find_package(wfrun CONFIG) -> wfrun::wfrun) and the pkg-config file wfrun.pc.
# Every path is relative to the prefix, so the installed tree and the packages can be moved.
include(CMakePackageConfigHelpers)

set(wfrun_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/wfrun)

install(TARGETS wfrun RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS wfrun_library EXPORT wfrun_targets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
# The public API only: these headers include nothing but the standard library and
# nlohmann_json (tests/package compiles each on its own against the installed tree).
install(FILES interpreter/include/wfrun/step.hpp interpreter/include/wfrun/cli.hpp
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/wfrun COMPONENT dev)
install(DIRECTORY workflows/ DESTINATION ${WFRUN_INSTALL_WORKFLOWSDIR} COMPONENT runtime
    FILES_MATCHING PATTERN "*.wf")

install(EXPORT wfrun_targets NAMESPACE wfrun:: FILE wfrunTargets.cmake
    DESTINATION ${wfrun_cmake_dir} COMPONENT dev)
configure_package_config_file(cmake/wfrunConfig.cmake.in ${PROJECT_BINARY_DIR}/wfrunConfig.cmake
    INSTALL_DESTINATION ${wfrun_cmake_dir} PATH_VARS WFRUN_INSTALL_WORKFLOWSDIR)
# 0.x: the minor version is the ABI, as in the library's SONAME.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/wfrunConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/wfrunConfig.cmake ${PROJECT_BINARY_DIR}/wfrunConfigVersion.cmake
    DESTINATION ${wfrun_cmake_dir} COMPONENT dev)

file(RELATIVE_PATH WFRUN_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig
     ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" WFRUN_PC_TO_PREFIX "${WFRUN_PC_TO_PREFIX}")
configure_file(cmake/wfrun.pc.in ${PROJECT_BINARY_DIR}/wfrun.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/wfrun.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# Debian packages: `wfrun` (runtime) and `libwfrun-dev` (dev). The runtime package's
# dependencies on Debian's shared libraries (libc6, libstdc++6, libfmt9, libsqlite3-0, ...) are
# computed by dpkg-shlibdeps from the binaries; the dev package needs the runtime package of
# the same version and nlohmann_json's headers, which the public headers include.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wfrun)
set(CPACK_PACKAGE_VENDOR "wfrun")
set(CPACK_PACKAGE_CONTACT "wfrun maintainers <wfrun@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "declarative workflow engine for service orchestration")
set(CPACK_PACKAGE_DESCRIPTION
    "Workflows written in .wf files, checked before they run and run durably on SQLite.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME wfrun)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libwfrun-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "wfrun (= ${PROJECT_VERSION}), nlohmann-json3-dev (>= 3.10)")
include(CPack)
