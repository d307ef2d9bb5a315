# The dashboard page (GET / of the admin HTTP server), compiled into the binary.
#
# include() this file from the directory that defines the admin library; it embeds
# dashboard.html there (cmake/embed_file.cmake) whenever the page changes, and sets
# XDSD_DASHBOARD_SOURCES to the sources to add to that library. They define DashboardHtml()
# of dashboard.h.
include("${PROJECT_SOURCE_DIR}/cmake/embed_file.cmake")
xdsd_embed_file(XDSD_DASHBOARD_SOURCES
  INPUT     "${CMAKE_CURRENT_LIST_DIR}/dashboard.html"
  SYMBOL    xdsd_dashboard_html
  HEADER    admin/dashboard/dashboard.h
  NAMESPACE xdsd::admin
  FUNCTION  DashboardHtml)
