# The dashboard page (GET / of the admin HTTP server), compiled into the binary.
#
# include() this file from the directory that defines the admin library; it generates
# dashboard_html.cc there from dashboard.html whenever the page changes, and sets
# XDSD_DASHBOARD_SOURCES to the sources to add to that library.
set(_xdsd_dashboard_dir "${CMAKE_CURRENT_LIST_DIR}")
set(_xdsd_dashboard_cc "${CMAKE_CURRENT_BINARY_DIR}/dashboard_html.cc")
add_custom_command(
  OUTPUT "${_xdsd_dashboard_cc}"
  COMMAND "${CMAKE_COMMAND}"
          -DINPUT=${_xdsd_dashboard_dir}/dashboard.html
          -DOUTPUT=${_xdsd_dashboard_cc}
          -DHEADER=admin/dashboard/dashboard.h
          -DNAMESPACE=xdsd::admin
          -DFUNCTION=DashboardHtml
          -P "${_xdsd_dashboard_dir}/embed_file.cmake"
  DEPENDS "${_xdsd_dashboard_dir}/dashboard.html" "${_xdsd_dashboard_dir}/embed_file.cmake"
  COMMENT "Embedding the dashboard page (dashboard.html)"
  VERBATIM)
set(XDSD_DASHBOARD_SOURCES "${_xdsd_dashboard_cc}")
