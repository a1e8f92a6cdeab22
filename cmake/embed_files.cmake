# Writes a C++ file holding every file of DIR matching PATTERN, by file name (without its extension
# when NAME_WE is set): const std::map<std::string, std::string>& FUNCTION() in namespace
# NAMESPACE, declared in HEADER. The mail templates and the web view's files are compiled in so.
# (Arguments come as -D: a list on a custom command's line is split by the shell at semicolons.)
file(GLOB FILES ${DIR}/${PATTERN})
list(SORT FILES)
set(body "// Generated from ${PATTERN} by cmake/embed_files.cmake. Do not edit.\n#include \"${HEADER}\"\nnamespace ${NAMESPACE} {\nconst std::map<std::string, std::string>& ${FUNCTION}() {\n  static const std::map<std::string, std::string> all = {\n")
foreach(f ${FILES})
  if(NAME_WE)
    get_filename_component(name ${f} NAME_WE)
  else()
    get_filename_component(name ${f} NAME)
  endif()
  file(READ ${f} text)
  string(APPEND body "    {\"${name}\", R\"guichet_file(${text})guichet_file\"},\n")
endforeach()
string(APPEND body "  };\n  return all;\n}\n}  // namespace ${NAMESPACE}\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
