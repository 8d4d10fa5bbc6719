/* Replays kept inputs through a fuzz harness without libFuzzer, so the regression tests run
 * in the normal (gcc) build: each argument is a file, or a directory whose files are all
 * replayed in name order. A crash, a sanitizer report or an abort fails the test; otherwise
 * it prints how many inputs ran. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REGRESS_MAX_BYTES (16u * 1024 * 1024)

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;
    int ret = -1;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
        (unsigned long)n > REGRESS_MAX_BYTES || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "fuzz_regress: %s: cannot read (or over 16 MiB)\n", path);
        goto out;
    }
    /* Exactly n bytes, as libFuzzer gives them, so an over-read is caught by ASan here too
     * (an empty file still gets a real one-byte buffer). */
    if ((buf = malloc(n > 0 ? (size_t)n : 1)) == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "fuzz_regress: %s: read failed\n", path);
        goto out;
    }
    fclose(f);
    f = NULL;
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    ret = 0;
out:
    if (f != NULL)
        fclose(f);
    free(buf);
    return ret;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL, path[4096];
    size_t n = 0, cap = 0;
    int ret = -1;

    if (d == NULL) {
        fprintf(stderr, "fuzz_regress: %s: cannot open\n", dir);
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
            if (nn == NULL)
                goto out;
            names = nn;
        }
        if ((names[n] = strdup(de->d_name)) == NULL)
            goto out;
        n++;
    }
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        int w = snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (w < 0 || (size_t)w >= sizeof(path) || stat(path, &sb) != 0)
            goto out;
        if (!S_ISREG(sb.st_mode))
            continue;
        if (run_file(path) != 0)
            goto out;
        (*count)++;
    }
    ret = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return ret;
}

int main(int argc, char **argv)
{
    size_t count = 0;

    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            /* A harness with no kept inputs yet has no directory: nothing to replay. */
            continue;
        }
        if (S_ISDIR(sb.st_mode) ? run_dir(argv[i], &count) != 0
                                : (run_file(argv[i]) != 0 || (count++, 0)))
            return 1;
    }
    printf("fuzz_regress: %zu inputs replayed\n", count);
    return 0;
}
