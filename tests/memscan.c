/* memscan PID < SECRETS: search a stopped process's writable memory for secrets.
 *
 * SECRETS has one secret a line, "NAME VALUE" (the value is everything after the first
 * space). They come on stdin, not argv, so the scan itself puts no secret where ps shows it.
 * Every mapping that is readable and writable (heap, stack, anonymous maps, the .data and .bss
 * of the binary and its libraries) is read through /proc/PID/mem and searched for each value;
 * a hit prints "hit NAME MAPPING +OFFSET". The last 8 bytes of a value of 16 or more are
 * searched on their own too ("... (tail only)"): free() writes its list pointers over the
 * first 16 bytes of a block, so a copy freed unwiped may survive only in part. A value that
 * is the value of a "NAME=value" environment entry is marked "(environment entry NAME)".
 * Exit 0 no hit, 1 hits, 2 usage or scan error,
 * 77 the process's memory may not be read (the target is non-dumpable: that takes root or
 * CAP_SYS_PTRACE). Mappings over 1 GiB are reserved address space, not data (ASan's shadow
 * and allocator regions): they are listed as skipped, not read. */
#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SECRETS 32
#define CHUNK (4u << 20)
#define SKIP_OVER (1ull << 30)
#define TAIL 8

struct secret {
    char name[64];
    char value[256];
    size_t len;
    unsigned long hits;
};

static int read_secrets(struct secret *s, size_t *n)
{
    char line[512];

    *n = 0;
    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *sp = strchr(line, ' ');
        line[strcspn(line, "\n")] = '\0';
        if (sp == NULL || sp == line || sp[1] == '\0' || *n == MAX_SECRETS ||
            (size_t)(sp - line) >= sizeof(s->name) || strlen(sp + 1) >= sizeof(s->value))
            return -1;
        memcpy(s[*n].name, line, (size_t)(sp - line));
        s[*n].name[sp - line] = '\0';
        strcpy(s[*n].value, sp + 1);
        s[*n].len = strlen(sp + 1);
        s[*n].hits = 0;
        (*n)++;
    }
    return *n > 0 ? 0 : -1;
}

/* Is the value at p that of an environment entry "NAME=value" (NUL or the buffer's start
 * before NAME)? Its name goes to var ("" if not). */
static int env_entry(const unsigned char *buf, const unsigned char *p, char *var, size_t varlen)
{
    const unsigned char *n = p - 1;

    var[0] = '\0';
    if (p == buf || *n != '=')
        return 0;
    while (n > buf && (isalnum(n[-1]) || n[-1] == '_'))
        n--;
    if (n == p - 1 || (n > buf && n[-1] != '\0') || (size_t)(p - 1 - n) >= varlen)
        return 0;
    memcpy(var, n, (size_t)(p - 1 - n));
    var[p - 1 - n] = '\0';
    return 1;
}

/* Search [start, end) of the process; a chunk overlaps the next by the longest secret so a
 * value across a chunk boundary is found. */
static int scan_range(int mem, uint64_t start, uint64_t end, const char *name, struct secret *s,
                      size_t n, size_t longest, unsigned char *buf)
{
    for (uint64_t at = start; at < end;) {
        size_t want = end - at > CHUNK ? CHUNK : (size_t)(end - at);
        ssize_t got = pread(mem, buf, want, (off_t)at);
        if (got < 0 && (errno == EPERM || errno == EACCES))
            return 77;
        if (got <= 0) { /* a mapping gone since maps was read, or a device's memory */
            printf("unreadable %s +0x%" PRIx64 "\n", name, at - start);
            return 0;
        }
        for (size_t k = 0; k < n; k++) {
            unsigned char *p = buf, *lim = buf + got;
            const char *tail = s[k].value + s[k].len - TAIL;
            while ((p = memmem(p, (size_t)(lim - p), s[k].value, s[k].len)) != NULL) {
                char var[128];
                int in_env = env_entry(buf, p, var, sizeof(var));
                printf("hit %s %s +0x%" PRIx64 "%s%s%s\n", s[k].name, name,
                       at - start + (uint64_t)(p - buf), in_env ? " (environment entry " : "",
                       var, in_env ? ")" : "");
                s[k].hits++;
                p++;
            }
            for (p = buf; s[k].len >= 2 * TAIL &&
                          (p = memmem(p, (size_t)(lim - p), tail, TAIL)) != NULL;
                 p++) {
                unsigned char *whole = p - (s[k].len - TAIL);
                if (whole >= buf && memcmp(whole, s[k].value, s[k].len) == 0)
                    continue; /* reported above */
                printf("hit %s %s +0x%" PRIx64 " (tail only)\n", s[k].name, name,
                       at - start + (uint64_t)(p - buf));
                s[k].hits++;
            }
        }
        if ((size_t)got < want || at + (uint64_t)got >= end)
            break;
        at += (uint64_t)got - (longest - 1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct secret s[MAX_SECRETS];
    size_t n = 0, longest = 1, regions = 0;
    unsigned long total = 0;
    char path[64], line[4096];
    unsigned char *buf = NULL;
    FILE *maps = NULL;
    int mem = -1, ret = 2;

    if (argc != 2 || read_secrets(s, &n) != 0) {
        fprintf(stderr, "usage: memscan PID < 'NAME VALUE' lines\n");
        return 2;
    }
    for (size_t k = 0; k < n; k++)
        if (s[k].len > longest)
            longest = s[k].len;
    snprintf(path, sizeof(path), "/proc/%s/maps", argv[1]);
    if ((maps = fopen(path, "r")) == NULL) {
        fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof(path), "/proc/%s/mem", argv[1]);
    if ((mem = open(path, O_RDONLY)) < 0) {
        fprintf(stderr, "memscan: %s: %s\n", path, strerror(errno));
        ret = errno == EPERM || errno == EACCES ? 77 : 2;
        goto out;
    }
    if ((buf = malloc(CHUNK)) == NULL)
        goto out;
    while (fgets(line, sizeof(line), maps) != NULL) {
        uint64_t start, end;
        char perms[8], name[4096] = "";
        int r;

        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*s %*s %*s %4095[^\n]", &start, &end,
                   perms, name) < 3)
            continue;
        if (perms[0] != 'r' || perms[1] != 'w')
            continue;
        if (name[0] == '\0')
            snprintf(name, sizeof(name), "[anon:%" PRIx64 "]", start);
        for (char *c = name; *c != '\0'; c++)
            if (*c == ' ')
                *c = '_';
        if (end - start > SKIP_OVER) {
            printf("skipped %s %" PRIu64 " MiB\n", name, (end - start) >> 20);
            continue;
        }
        if ((r = scan_range(mem, start, end, name, s, n, longest, buf)) != 0) {
            fprintf(stderr, "memscan: cannot read %s of process %s\n", name, argv[1]);
            ret = r;
            goto out;
        }
        regions++;
    }
    for (size_t k = 0; k < n; k++) {
        printf("%s: %lu hit(s)\n", s[k].name, s[k].hits);
        total += s[k].hits;
    }
    printf("scanned %zu mappings\n", regions);
    ret = regions == 0 ? 2 : total > 0 ? 1 : 0;
out:
    free(buf);
    if (mem >= 0)
        close(mem);
    if (maps != NULL)
        fclose(maps);
    return ret;
}
