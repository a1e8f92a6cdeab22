# guichet_soname(VAR LIBRARY): the SONAME recorded in the shared library file LIBRARY
# (/usr/lib/x86_64-linux-gnu/libcurl.so → libcurl.so.4). The libraries guichet opens when a command
# first needs them (lib/util/shared_library.h) are opened by the name the linker would have
# written, so that the build and the package's dependencies agree on the version.
function(guichet_soname var library)
  get_filename_component(real "${library}" REALPATH)
  execute_process(COMMAND ${CMAKE_OBJDUMP} -p "${real}" OUTPUT_VARIABLE dump RESULT_VARIABLE rc ERROR_QUIET)
  string(REGEX MATCH "SONAME +([^\n ]+)" found "${dump}")
  if(NOT rc EQUAL 0 OR NOT CMAKE_MATCH_1)
    message(FATAL_ERROR "cannot read the SONAME of ${library} with ${CMAKE_OBJDUMP}")
  endif()
  set(${var} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()
