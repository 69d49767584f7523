// The one translation unit that instantiates Catch2's main (slow to compile).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
