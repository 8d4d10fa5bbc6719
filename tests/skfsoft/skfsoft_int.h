/* libskfsoft.so: a software SKF (GM/T 0016-2012) device for tests, as SoftHSM is for
 * PKCS#11 (docs/skf.md, "The soft module"). Its state lives in files under $SKFSOFT_DIR:
 *
 *   $SKFSOFT_DIR/<device>/             one device; creating / removing the directory is
 *                                      inserting / pulling it out (SKF_WaitForDevEvent)
 *     devinfo                          label and serial (made on first sight)
 *     authkey                          16-byte SM4 device authentication key
 *     capacity                         optional: total bytes; more is SAR_NO_ROOM
 *     keygen_ms                        optional: SKF_GenECCKeyPair takes this long (ms)
 *     apps/<app>/pins                  PIN hashes (SM3), maximum and remaining retries
 *     apps/<app>/files/<name>          file contents; <name>.attr its size and rights
 *     apps/<app>/con/<container>/      sign.key / enc.key (PEM, never exported through
 *                                      the API), sign.cer / enc.cer (DER)
 *
 * Every change is written to a temporary file and renamed. Handles are heap objects with a
 * magic number; the security state (device authenticated, PIN verified) is per handle. */
#ifndef SKFSOFT_INT_H
#define SKFSOFT_INT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "skf/gmt0016.h"

#define SKS_NAME_MAX 32 /* application, container and file names (GM/T 0016: < 32 bytes +0) */
#define SKS_DEFAULT_AUTHKEY "1234567812345678"
#define SKS_DEFAULT_CAPACITY (1024UL * 1024UL)
#define SKS_PIN_MIN 6
#define SKS_PIN_MAX 16

enum { SKS_MAGIC_DEV = 0x534b4644, SKS_MAGIC_APP = 0x534b4641, SKS_MAGIC_CON = 0x534b4643,
       SKS_MAGIC_KEY = 0x534b464b };

typedef struct sks_dev {
    unsigned magic;
    char name[128];
    char path[PATH_MAX];
    BYTE challenge[16]; /* last SKF_GenRandom, for SKF_DevAuth */
    bool have_challenge;
    bool authed;
} sks_dev;

typedef struct sks_app {
    unsigned magic;
    sks_dev *dev;
    char name[SKS_NAME_MAX + 1];
    char path[PATH_MAX];
    bool user, admin;
} sks_app;

typedef struct sks_con {
    unsigned magic;
    sks_app *app;
    char name[SKS_NAME_MAX + 1];
    char path[PATH_MAX];
} sks_con;

typedef struct sks_key {
    unsigned magic;
    unsigned char key[16];
    ULONG alg;     /* SGD_SMS4_ECB or _CBC */
    ULONG padding; /* BLOCKCIPHERPARAM.PaddingType */
    bool ready;    /* SKF_DecryptInit done */
} sks_key;

/* skfsoft_store.c */
const char *sks_root(void);
ULONG sks_path(char *out, size_t cap, const char *a, const char *b, const char *c);
ULONG sks_read(const char *path, unsigned char **data, size_t *len);
ULONG sks_write(const char *path, const unsigned char *data, size_t len);
bool sks_exists(const char *path);
/* Is the named misbehaviour switched on in $SKFSOFT_FAULT (comma-separated names)? For the
 * tests of what sealkey does with a vendor library that answers wrongly. */
bool sks_fault(const char *name);
ULONG sks_name_ok(const char *name);
ULONG sks_list(const char *dir, const char *skip_suffix, bool dirs, LPSTR out, ULONG *size);
ULONG sks_rmtree(const char *path);
unsigned long sks_capacity(sks_dev *d);
unsigned long sks_keygen_ms(sks_dev *d); /* the optional keygen_ms file: a slow device */
unsigned long sks_used(sks_dev *d); /* bytes stored under apps/ */
ULONG sks_room(sks_dev *d, size_t more);
void sks_hash_pin(const char *pin, char hex[65]);

/* Handle checks: SAR_INVALIDHANDLEERR, then SAR_DEVICE_REMOVED if the device is gone. */
ULONG sks_dev_check(DEVHANDLE h, sks_dev **out);
ULONG sks_app_check(HAPPLICATION h, sks_app **out);
ULONG sks_con_check(HCONTAINER h, sks_con **out);

#endif
