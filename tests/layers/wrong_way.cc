// Compiled by the "layers" tests with lib/mail's view of the library (cmake/modules.cmake): mail
// sits below store, so this include must fail to compile.
#include "store/store.h"
