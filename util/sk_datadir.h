/* Where sealkey's read-only data (form templates) is: beside the running binary, at the
 * path from its bin directory to <datadir>/sealkey that the build computed from
 * CMAKE_INSTALL_BINDIR and CMAKE_INSTALL_DATADIR. An installed tree therefore finds its own
 * files under whatever prefix it was installed to (cmake --install --prefix, DESTDIR, a
 * package), and never the source or build tree; the build tree mirrors that layout
 * (build/share/sealkey, set up by CMakeLists.txt) so that its binaries find it too. */
#ifndef SK_DATADIR_H
#define SK_DATADIR_H

#include <stddef.h>

#include "util/sk_err.h"

/* buf = <dir of the running binary>/<bin to data>/rel (rel "" for the directory itself).
 * SK_EIO when /proc/self/exe cannot be read, SK_EINTERNAL when buf is too small. */
int sk_data_path(const char *rel, char *buf, size_t len, sk_err *e);

#endif
