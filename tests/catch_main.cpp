// Catch2's main for every test binary of the project.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
