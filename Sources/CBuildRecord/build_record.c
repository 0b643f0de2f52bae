#include "CBuildRecord.h"
#include <stddef.h>

// `make release-binary` writes stoqctl_build_record.h (scripts/build-record.py) into a directory
// of its own under .build and puts that directory on the include path; other builds have no such
// header and record nothing.
#if __has_include(<stoqctl_build_record.h>)
#include <stoqctl_build_record.h>
const char *stoqctl_build_record(void) { return STOQCTL_BUILD_RECORD; }
#else
const char *stoqctl_build_record(void) { return NULL; }
#endif
