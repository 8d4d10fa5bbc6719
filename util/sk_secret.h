/* Secrets (PINs, passphrases): where they come from and how they are wiped.
 *
 * A secret never travels on argv. It is named by a source: "env:NAME" (an environment
 * variable), "file:PATH" (first line of a file, relative paths against a base directory),
 * "fd:N" (first line read from an open descriptor) or "prompt" (the terminal, echo off).
 * Buffers holding secrets live in locked memory (util/sk_secmem.h; cli_secrets for what a
 * command holds) and are wiped with OPENSSL_cleanse right after their last use. No copy may
 * outlive that: tests/secrets_memory.sh searches a finished sealkey's memory for them. */
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
 * ("CA passphrase"); confirm asks twice on a prompt. Refused, never cut short: an empty
 * secret, one longer than buflen - 1 bytes (SK_SECRET_MAX - 1 in the usual buffers) and one
 * with a NUL byte in it, from any source. A file: source must be a regular file (a FIFO is
 * refused, not waited on) that nobody but the invoking user or root may change
 * (util/sk_trust.h, SK_EINPUT otherwise). An env: variable is consumed: its value is wiped
 * in place and the variable unset, so a process reads it once (workers forked later inherit
 * the secret already read, not the variable). */
int sk_secret_read(const sk_secret_src *src, const char *base_dir, const char *what, bool confirm,
                   char *buf, size_t buflen, sk_err *e);

/* What sk_secret_read_notice saw about a source without refusing it, for the CLI to warn. */
typedef struct sk_secret_notice {
    bool exposed;        /* a file: source readable by group or others */
    unsigned mode;       /* that file's mode */
    char path[4096];     /* that file */
} sk_secret_notice;

/* sk_secret_read, filling *notice (may be NULL). */
int sk_secret_read_notice(const sk_secret_src *src, const char *base_dir, const char *what,
                          bool confirm, char *buf, size_t buflen, sk_secret_notice *notice,
                          sk_err *e);

void sk_secret_wipe(void *buf, size_t len);

/* Wipe the 32 KiB of stack below the caller's frame, where the frames of the functions it
 * called were. For third-party calls that leave a secret in a stack buffer they never wipe:
 * OpenSSL 3.0's encrypted-PKCS#8 decoder (epki2pki_decode) copies the passphrase into a
 * 1 KiB local and returns without cleansing it, so call this right after
 * PEM_read_bio_PrivateKey with a passphrase. */
void sk_secret_wipe_stack(void);

#endif
