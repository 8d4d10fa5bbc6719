/* Secrets (PINs, passphrases): where they come from and how they are wiped.
 *
 * A secret never travels on argv. It is named by a source: "env:NAME" (an environment
 * variable), "file:PATH" (first line of a file, relative paths against a base directory),
 * "fd:N" (first line read from an open descriptor) or "prompt" (the terminal, echo off).
 * Buffers holding secrets are wiped with OPENSSL_cleanse right after their last use. */
#ifndef SK_SECRET_H
#define SK_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sk_err.h"

#define SK_SECRET_MAX 256

enum sk_secret_kind { SK_SECRET_NONE, SK_SECRET_ENV, SK_SECRET_FILE, SK_SECRET_FD, SK_SECRET_PROMPT };

typedef struct sk_secret_src {
    enum sk_secret_kind kind;
    char arg[1024]; /* variable name, path or descriptor number */
} sk_secret_src;

/* Parse "env:NAME", "file:PATH", "fd:N" or "prompt". what names the setting in errors. */
int sk_secret_src_parse(const char *spec, const char *what, sk_secret_src *src, sk_err *e);

/* Read the secret into buf (NUL-terminated, trailing newline dropped). base_dir resolves a
 * relative file path (NULL: current directory). what names the secret in prompts and errors
 * ("CA passphrase"); confirm asks twice on a prompt. Empty secrets are refused. */
int sk_secret_read(const sk_secret_src *src, const char *base_dir, const char *what, bool confirm,
                   char *buf, size_t buflen, sk_err *e);

void sk_secret_wipe(void *buf, size_t len);

#endif
