# Layers the build enforces. Each lib/<name>/ folder is one static library, guichet_<name>, that
# declares the modules it may use. It compiles against a view of lib/ (build/layers/<name>/) that
# holds only itself and those modules, as symbolic links: an include of a module it did not
# declare ("store/store.h" from lib/mail) fails to compile. Consumers get the views of what they
# link, which are all allowed.
#
#   guichet_module(NAME mail SOURCES a.cc b.cc DEPS util PRIVATE_LIBS Iconv::Iconv)
function(guichet_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  set(closure ${M_DEPS})
  foreach(dep ${M_DEPS})
    get_property(dep_closure GLOBAL PROPERTY GUICHET_CLOSURE_${dep})
    if(NOT DEFINED dep_closure AND NOT TARGET guichet_${dep})
      message(FATAL_ERROR "module ${M_NAME} uses ${dep}, which is not declared before it")
    endif()
    list(APPEND closure ${dep_closure})
  endforeach()
  list(REMOVE_DUPLICATES closure)
  set_property(GLOBAL PROPERTY GUICHET_CLOSURE_${M_NAME} ${closure})

  set(view ${CMAKE_BINARY_DIR}/layers/${M_NAME})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view})
  foreach(m ${M_NAME} ${closure})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/lib/${m} ${view}/${m} SYMBOLIC)
  endforeach()

  if(M_SOURCES)
    add_library(guichet_${M_NAME} STATIC ${M_SOURCES})
    target_include_directories(guichet_${M_NAME} PUBLIC ${view})
    set(scope PUBLIC)
  else()
    add_library(guichet_${M_NAME} INTERFACE)  # headers only
    target_include_directories(guichet_${M_NAME} INTERFACE ${view})
    set(scope INTERFACE)
  endif()
  foreach(dep ${M_DEPS})
    target_link_libraries(guichet_${M_NAME} ${scope} guichet_${dep})
  endforeach()
  if(M_PUBLIC_LIBS)
    target_link_libraries(guichet_${M_NAME} ${scope} ${M_PUBLIC_LIBS})
  endif()
  if(M_PRIVATE_LIBS)
    target_link_libraries(guichet_${M_NAME} PRIVATE ${M_PRIVATE_LIBS})
  endif()
endfunction()
