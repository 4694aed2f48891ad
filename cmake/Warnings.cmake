# Project-wide compiler flags: warnings (as errors unless GFETCH_WERROR=OFF), the
# address+undefined sanitizer build and the linked-in C++ runtime. Applied through
# the gfetch_flags target that every project target links.
add_library(gfetch_flags INTERFACE)
target_compile_options(gfetch_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(GFETCH_WERROR)
  target_compile_options(gfetch_flags INTERFACE -Werror)
endif()
if(GFETCH_SANITIZE)
  target_compile_options(gfetch_flags INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(gfetch_flags INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(gfetch_flags INTERFACE GREEN_SANITIZE_ADDRESS=1)
endif()
if(GFETCH_STATIC_RUNTIME)
  target_link_options(gfetch_flags INTERFACE -static-libstdc++ -static-libgcc)
endif()
