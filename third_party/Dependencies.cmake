# One imported target per dependency, all from Debian's packages (see README.md
# beside this file): deps::event, deps::boost_context, deps::curl, deps::cares,
# deps::cli11, deps::catch2, deps::zlib (the test server's /gzip route). Project
# code links these names only.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_core>=2.1 libevent_extra>=2.1)
add_library(deps::event INTERFACE IMPORTED)
target_link_libraries(deps::event INTERFACE PkgConfig::LIBEVENT)

if(GFETCH_STATIC_RUNTIME)
  set(Boost_USE_STATIC_LIBS ON)  # libboost_context.a: its .so alone loads libstdc++.so
endif()
find_package(Boost 1.74 REQUIRED COMPONENTS context)
add_library(deps::boost_context INTERFACE IMPORTED)
target_link_libraries(deps::boost_context INTERFACE Boost::context)

pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET libcurl>=7.88)
add_library(deps::curl INTERFACE IMPORTED)
target_link_libraries(deps::curl INTERFACE PkgConfig::LIBCURL)

pkg_check_modules(LIBCARES REQUIRED IMPORTED_TARGET libcares>=1.18)
add_library(deps::cares INTERFACE IMPORTED)
target_link_libraries(deps::cares INTERFACE PkgConfig::LIBCARES)

find_package(ZLIB 1.2 REQUIRED)
add_library(deps::zlib INTERFACE IMPORTED)
target_link_libraries(deps::zlib INTERFACE ZLIB::ZLIB)

find_package(CLI11 2.1 REQUIRED)
add_library(deps::cli11 INTERFACE IMPORTED)
target_link_libraries(deps::cli11 INTERFACE CLI11::CLI11)

if(GFETCH_TESTS)
  find_package(Catch2 2.13 REQUIRED)
  add_library(deps::catch2 INTERFACE IMPORTED)
  target_link_libraries(deps::catch2 INTERFACE Catch2::Catch2)
  include(Catch)
endif()
