# Warnings for the project's own targets (not for third-party headers).
function(authority_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wconversion -Wno-missing-field-initializers)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # g++ 12 at -O2/-O3 reports a false -Wrestrict inside libstdc++ for
    # "literal" + std::string&& (GCC PR 105651); it is noise, not a finding.
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(AUTHORITY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
