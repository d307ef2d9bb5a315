# `cmake --install build --prefix P` installs libxdsd for programs built outside this tree:
#
#   P/include/xdsd/*.h            the public headers
#   P/include/xdsd/api/...        the generated Envoy API headers (.pb.h, .grpc.pb.h) they use
#   P/lib/libxdsd.a, P/lib/libxdsd_api_proto.a
#   P/lib/cmake/xdsd/             xdsdConfig.cmake: find_package(xdsd CONFIG REQUIRED), then
#                                 target_link_libraries(app PRIVATE xdsd::xdsd)
#   P/bin/xdsd                    the daemon
#
# The generated headers get their own folder so that their envoy/, google/, validate/ and xds/
# trees do not mix with other copies of those protos in a shared prefix.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(XDSD_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/xdsd")
set(XDSD_INSTALL_API_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/xdsd/api")

# A sanitized libxdsd needs the sanitizer runtimes in whatever links it.
if(XDSD_SANITIZE)
  target_link_options(xdsd INTERFACE -fsanitize=address,undefined)
endif()

set_target_properties(xdsd_api_proto PROPERTIES EXPORT_NAME api_proto)
install(TARGETS xdsd EXPORT xdsdTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS xdsd_api_proto EXPORT xdsdTargets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
  INCLUDES DESTINATION "${XDSD_INSTALL_API_INCLUDEDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/xdsd"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.h")
install(DIRECTORY "${XDSD_API_GEN_DIR}/"
  DESTINATION "${XDSD_INSTALL_API_INCLUDEDIR}"
  FILES_MATCHING PATTERN "*.pb.h")
install(TARGETS xdsd_cli RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")

install(EXPORT xdsdTargets
  NAMESPACE xdsd::
  DESTINATION "${XDSD_INSTALL_CMAKEDIR}")
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/xdsdConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/xdsdConfig.cmake"
  INSTALL_DESTINATION "${XDSD_INSTALL_CMAKEDIR}")
# 0.x: a new minor version may change the API.
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/xdsdConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${CMAKE_CURRENT_BINARY_DIR}/xdsdConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/xdsdConfigVersion.cmake"
  DESTINATION "${XDSD_INSTALL_CMAKEDIR}")
