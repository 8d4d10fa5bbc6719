/* PEM files the station keeps (CA certificates), read through sk_file_read: a regular file
 * of at most 1 MiB, never through a FIFO. */
#ifndef SK_PEM_H
#define SK_PEM_H

#include <openssl/x509.h>

#include "util/sk_err.h"

/* The first certificate of the PEM file at path; SK_EINPUT "PATH: not a PEM certificate". */
int sk_pem_read_cert(const char *path, X509 **out, sk_err *e);

/* Every certificate of the PEM file at path, in file order (at least one, at most max:
 * SK_EINPUT otherwise); free with sk_X509_pop_free(*out, X509_free). */
int sk_pem_read_certs(const char *path, size_t max, STACK_OF(X509) **out, sk_err *e);

#endif
