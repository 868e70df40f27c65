# Warnings for the project's own targets (not for third-party headers).
function(authority_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wconversion -Wno-missing-field-initializers)
  if(AUTHORITY_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
