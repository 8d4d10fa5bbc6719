/* PIN lockout for libp11fault.so (docs/fault-injection.md, "PIN lockout"): SoftHSM 2.6
 * never locks a user PIN (it only sets CKF_USER_PIN_COUNT_LOW), real tokens do after a few
 * wrong tries. With P11FAULT_PIN_TRIES=N and P11FAULT_PIN_STATE=FILE the wrapper counts
 * wrong user logins per token serial in FILE (so the count survives the process, as a
 * token's does): after N in a row, C_Login as user returns CKR_PIN_LOCKED without reaching
 * the token, and C_GetTokenInfo reports CKF_USER_PIN_LOCKED (CKF_USER_PIN_COUNT_LOW and
 * CKF_USER_PIN_FINAL_TRY on the way). A right user PIN resets the count; C_InitPIN and
 * C_InitToken (the SO's ways to set a new PIN) unlock. A test module, not library code. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "p11fault_int.h"

static struct {
    unsigned long tries;
    const char *state;
    CK_FUNCTION_LIST_PTR real;
    CK_C_Login login;             /* the wrapper's own (counted, faults, delays) */
    CK_C_GetTokenInfo get_token_info;
    CK_C_InitPIN init_pin;
    CK_C_InitToken init_token;
} pl;

/* The token serial of a slot, blanks trimmed; "" if unreadable. */
static void slot_serial(CK_SLOT_ID slot, char out[17])
{
    CK_TOKEN_INFO ti;
    size_t n = 16;

    out[0] = '\0';
    if (pl.real->C_GetTokenInfo(slot, &ti) != CKR_OK)
        return;
    while (n > 0 && ti.serialNumber[n - 1] == ' ')
        n--;
    memcpy(out, ti.serialNumber, n);
    out[n] = '\0';
}

static void session_serial(CK_SESSION_HANDLE h, char out[17])
{
    CK_SESSION_INFO si;

    out[0] = '\0';
    if (pl.real->C_GetSessionInfo(h, &si) == CKR_OK)
        slot_serial(si.slotID, out);
}

/* The count of serial in the state file; with set, replace it by *count first. Lines are
 * "SERIAL COUNT"; the file is locked while read and written. */
static unsigned long count_io(const char *serial, bool set, unsigned long value)
{
    char buf[8192], out[8192], line_serial[64];
    unsigned long got = 0, c;
    size_t o = 0;
    ssize_t n;
    int fd = open(pl.state, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

    if (fd < 0 || serial[0] == '\0') {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    flock(fd, LOCK_EX);
    n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    for (char *line = buf, *nl; *line != '\0'; line = nl != NULL ? nl + 1 : line + strlen(line)) {
        if ((nl = strchr(line, '\n')) != NULL)
            *nl = '\0';
        if (sscanf(line, "%63s %lu", line_serial, &c) != 2)
            continue;
        if (strcmp(line_serial, serial) == 0) {
            got = c;
            continue;
        }
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s %lu\n", line_serial, c);
    }
    if (set) {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s %lu\n", serial, value);
        if (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, out, o) < 0) {
            /* a state that cannot be written leaves the token unlocked: tests will say */
        }
    }
    flock(fd, LOCK_UN);
    close(fd);
    return set ? value : got;
}

static CK_RV pl_login(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    char serial[17];
    unsigned long wrong;
    CK_RV rv;

    if (who != CKU_USER)
        return pl.login(h, who, pin, len);
    session_serial(h, serial);
    wrong = count_io(serial, false, 0);
    if (wrong >= pl.tries)
        return CKR_PIN_LOCKED;
    rv = pl.login(h, who, pin, len);
    if (rv == CKR_PIN_INCORRECT)
        count_io(serial, true, wrong + 1);
    else if (rv == CKR_OK && wrong > 0)
        count_io(serial, true, 0);
    if (rv == CKR_PIN_INCORRECT && wrong + 1 >= pl.tries)
        rv = CKR_PIN_LOCKED;
    return rv;
}

static CK_RV pl_get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR ti)
{
    char serial[17];
    unsigned long wrong;
    CK_RV rv = pl.get_token_info(slot, ti);

    if (rv != CKR_OK)
        return rv;
    slot_serial(slot, serial);
    wrong = count_io(serial, false, 0);
    ti->flags &= ~(CK_FLAGS)(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY |
                             CKF_USER_PIN_LOCKED);
    if (wrong >= pl.tries)
        ti->flags |= CKF_USER_PIN_LOCKED;
    else if (wrong + 1 == pl.tries)
        ti->flags |= CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
    else if (wrong > 0)
        ti->flags |= CKF_USER_PIN_COUNT_LOW;
    return CKR_OK;
}

static CK_RV pl_init_pin(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
    char serial[17];
    CK_RV rv = pl.init_pin(h, pin, len);

    if (rv == CKR_OK) {
        session_serial(h, serial);
        count_io(serial, true, 0);
    }
    return rv;
}

static CK_RV pl_init_token(CK_SLOT_ID slot, CK_UTF8CHAR_PTR so_pin, CK_ULONG len,
                           CK_UTF8CHAR_PTR label)
{
    char serial[17];
    CK_RV rv = pl.init_token(slot, so_pin, len, label);

    if (rv == CKR_OK) {
        slot_serial(slot, serial);
        count_io(serial, true, 0);
    }
    return rv;
}

int pf_pinlock_install(CK_FUNCTION_LIST_PTR own, CK_FUNCTION_LIST_PTR real, char *err,
                       size_t errlen)
{
    const char *tries = getenv("P11FAULT_PIN_TRIES");
    char *end;

    if (tries == NULL || tries[0] == '\0')
        return 0;
    pl.tries = strtoul(tries, &end, 10);
    pl.state = getenv("P11FAULT_PIN_STATE");
    if (*end != '\0' || pl.tries < 1 || pl.tries > 100 || pl.state == NULL ||
        pl.state[0] == '\0') {
        snprintf(err, errlen, "P11FAULT_PIN_TRIES '%s' needs 1..100 and P11FAULT_PIN_STATE "
                 "a file", tries);
        return -1;
    }
    pl.real = real;
    pl.login = own->C_Login;
    pl.get_token_info = own->C_GetTokenInfo;
    pl.init_pin = own->C_InitPIN;
    pl.init_token = own->C_InitToken;
    own->C_Login = pl_login;
    own->C_GetTokenInfo = pl_get_token_info;
    own->C_InitPIN = pl_init_pin;
    own->C_InitToken = pl_init_token;
    return 0;
}
