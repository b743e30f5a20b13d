// CFanoutSupport is header-only (see include/CFanoutSupport.h); a C target needs one source file.
#include "CFanoutSupport.h"
