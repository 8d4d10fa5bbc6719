/* Helpers shared by the harnesses. Several parsers take a path or a directory rather than
 * bytes (order_file_load, station_load, form_template_load, audit_verify, form_extract), so
 * each harness process gets one private directory, made once, and rewrites its files there on
 * every input. The directory is removed at exit; a crash leaves it under $TMPDIR. */
#ifndef SK_FUZZ_UTIL_H
#define SK_FUZZ_UTIL_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The harness's private directory; static, set once per process (STYLE allows a static
 * once-initialised setup in harnesses). */
static char fuzz_dir_path[512];

static inline void fuzz_dir_remove(void)
{
    char cmd[600];
    int n;

    if (fuzz_dir_path[0] == '\0')
        return;
    n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir_path);
    if (n > 0 && (size_t)n < sizeof(cmd) && system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir_path);
}

static inline const char *fuzz_dir(void)
{
    const char *tmp;
    int n;

    if (fuzz_dir_path[0] != '\0')
        return fuzz_dir_path;
    tmp = getenv("TMPDIR");
    n = snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/sealkey-fuzz-XXXXXX",
                 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (n < 0 || (size_t)n >= sizeof(fuzz_dir_path) || mkdtemp(fuzz_dir_path) == NULL) {
        /* Without a directory the harness tests nothing: stop loudly, not silently pass. */
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_dir_remove);
    return fuzz_dir_path;
}

/* DIR/name, in buf. */
static inline const char *fuzz_path(const char *name, char *buf, size_t buflen)
{
    int n = snprintf(buf, buflen, "%s/%s", fuzz_dir(), name);

    if (n < 0 || (size_t)n >= buflen)
        abort();
    return buf;
}

/* Replace DIR/name with the bytes (0600, as the station's private files are). */
static inline void fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    char path[640];
    int fd;
    size_t done = 0;

    fuzz_path(name, path, sizeof(path));
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            perror(path);
            abort();
        }
        done += (size_t)w;
    }
    close(fd);
}

/* A NUL-terminated copy for parsers of C strings (free() it). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
