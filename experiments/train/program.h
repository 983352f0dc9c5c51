// The shared frame of the experiment programs' main(): an mg::Error (bad flags, missing or
// corrupt files) ends the program with its message on stderr and exit status 2, never a crash.
#pragma once

#include <cstdio>
#include <utility>

#include "core/error.h"

namespace mg::train {

template <typename Body>
int run_program(Body&& body) {
  try {
    return std::forward<Body>(body)();
  } catch (const mg::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}

}  // namespace mg::train
