// The one Catch2 main (compiles slowly; kept in its own object library).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
