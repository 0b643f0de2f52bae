#ifndef STOQCTL_CBUILDRECORD_H
#define STOQCTL_CBUILDRECORD_H

/// What a release build was made from: the source commit, the toolchain, the system libraries
/// linked in and every resolved package with its version and revision, as lines of text.
/// NULL in a development build, which records nothing.
const char *stoqctl_build_record(void);

#endif
