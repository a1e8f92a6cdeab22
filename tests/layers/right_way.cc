// The control of wrong_way.cc: with lib/store's view, the same include compiles.
#include "store/store.h"
