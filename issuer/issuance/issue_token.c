/* Which token an issuance may use, as the ledger sees it: a token that carries another
 * order's live certificate is wiped only when the operator revokes that order in the same
 * command, and a half-made token is resumed only when it is not some order's live token. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "issuer/records/audit.h"
#include "issuer/issuance/issue_int.h"
#include "util/sk_file.h"

/* Claims: the choice of a token is serialised by <station>/tokens.lock, but initialising it,
 * generating the key and writing take seconds on real tokens and run in parallel. So the
 * chooser claims the token before it lets go of tokens.lock: an flock on
 * <station>/token-claims/<serial in hex>.lock, held until the issuance ends (a process that
 * dies drops it). Other choosers skip a claimed token. The file is unlinked while still
 * locked, so a claimer checks that the file it locked is still the one at the path. */
#define CLAIMS_DIR "token-claims"

static int claim_path(const issue_env *env, const char *serial, char *path, size_t len,
                      sk_err *e)
{
    char dir[4096], name[2 * 16 + 8];
    size_t o = 0;
    int ret;

    for (size_t i = 0; serial[i] != '\0' && i < 16; i++, o += 2)
        snprintf(name + o, sizeof(name) - o, "%02x", (unsigned char)serial[i]);
    snprintf(name + o, sizeof(name) - o, ".lock");
    if ((ret = station_path(env->st, CLAIMS_DIR, dir, sizeof(dir), e)) != SK_OK)
        return ret;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sk_err_set(e, SK_EIO, "%s: cannot create: %s", dir, strerror(errno));
    return sk_path_join(path, len, dir, name, e);
}

/* Try to claim the token with this serial: *busy when another process holds it. */
static int claim_try(const issue_env *env, const char *serial, int *fd, bool *busy, sk_err *e)
{
    char path[4096 + 64];
    struct stat held, now;
    int ret;

    *fd = -1;
    *busy = false;
    if ((ret = claim_path(env, serial, path, sizeof(path), e)) != SK_OK)
        return ret;
    for (int attempt = 0; attempt < 8; attempt++) {
        int f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

        if (f < 0)
            return sk_err_set(e, SK_EIO, "%s: cannot open claim: %s", path, strerror(errno));
        if (flock(f, LOCK_EX | LOCK_NB) != 0) {
            int err = errno;
            close(f);
            if (err == EWOULDBLOCK) {
                *busy = true;
                return SK_OK;
            }
            return sk_err_set(e, SK_EIO, "%s: cannot lock claim: %s", path, strerror(err));
        }
        /* Locked the file its last holder unlinked on release: open the new one. */
        if (fstat(f, &held) == 0 && stat(path, &now) == 0 && held.st_dev == now.st_dev &&
            held.st_ino == now.st_ino) {
            *fd = f;
            return SK_OK;
        }
        close(f);
    }
    return sk_err_set(e, SK_EIO, "%s: claim file keeps changing", path);
}

int issue_claim_token(const issue_env *env, const char *serial, int *fd, sk_err *e)
{
    bool busy = false;
    int ret;

    if (serial[0] == '\0')
        return SK_OK;
    if ((ret = claim_try(env, serial, fd, &busy, e)) != SK_OK)
        return ret;
    if (busy)
        return sk_err_set(e, SK_EBUSY, "token serial %s is being issued onto by another "
                          "process of this station", serial);
    return SK_OK;
}

void issue_release_claim(const issue_env *env, const char *serial, int *fd)
{
    char path[4096 + 64];
    sk_err e;

    if (*fd < 0)
        return;
    if (claim_path(env, serial, path, sizeof(path), &e) == SK_OK)
        unlink(path);
    close(*fd);
    *fd = -1;
}

/* The live issuance the ledger holds on the token in c, if any. */
static int find_holder(const issue_env *env, issue_token_choice *c, sk_err *e)
{
    return ledger_token_live(env->ledger, c->info.serial, &c->holder, &c->has_holder, e);
}

/* A token on which another order's issuance stopped part-way holds that order's key and
 * perhaps its signed certificate: wiping it would leave that issuance pointing at nothing.
 * The operator re-runs or revokes that order first (revoke closes the attempt). */
static int check_unfinished(const issue_env *env, const order *o, const tok_info *info,
                            sk_err *e)
{
    ledger_issuance last;
    bool found = false;
    int ret = ledger_token_latest(env->ledger, info->serial, &last, &found, e);

    /* awaiting_certificate (external signing) is unfinished too, though last in the enum. */
    if (ret != SK_OK || !found ||
        (last.step >= ISS_VERIFIED && last.step != ISS_AWAITING_CERT) ||
        strcmp(last.order_number, o->number) == 0)
        return ret;
    return sk_err_set(e, SK_ESTATE,
                      "token '%s' (serial %s) holds order %s's unfinished issuance (step %s%s%s); "
                      "re-run that order, or close it with sealkey revoke --order %s, before "
                      "wiping the token",
                      info->label, info->serial, last.order_number, iss_step_name(last.step),
                      last.step >= ISS_CERT_ISSUED ? ", certificate serial " : "",
                      last.step >= ISS_CERT_ISSUED ? last.cert_serial : "", last.order_number);
}

/* The first blank token no other process of the station has claimed. A blank token that
 * reports no serial cannot be claimed by identity: SoftHSM's free slot makes a new token for
 * each process that initialises it and is taken unclaimed; any other such token may be one
 * token all processes see, so the chooser keeps tokens.lock through its C_InitToken
 * (c->hold_lock), as before issue 13. Either way its serial is claimed once C_InitToken has
 * given it one (issue.c). Hardware tokens report their chip's serial before
 * initialisation and are claimed at once. */
static int select_blank(const issue_env *env, issue_token_choice *c, sk_err *e)
{
    tok_info *infos = NULL;
    size_t n = 0;
    size_t blanks = 0;
    char uri[64];
    bool busy;
    int ret;

    if ((ret = tok_list_tokens(env->tokens, &infos, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (infos[i].initialized)
            continue;
        blanks++;
        if (infos[i].serial[0] != '\0') {
            if ((ret = claim_try(env, infos[i].serial, &c->claim_fd, &busy, e)) != SK_OK)
                goto out;
            if (busy)
                continue;
            snprintf(c->claimed_serial, sizeof(c->claimed_serial), "%s", infos[i].serial);
        }
        snprintf(uri, sizeof(uri), "pkcs11:slot-id=%lu", infos[i].slot_id);
        if ((ret = tok_select(env->tokens, uri, &c->slot, e)) != SK_OK ||
            (ret = tok_get_info(c->slot, &c->info, e)) != SK_OK)
            goto out;
        if (c->info.initialized || strcmp(c->info.serial, infos[i].serial) != 0) {
            ret = sk_err_set(e, SK_ETOKEN, "the blank token in slot %lu changed while it was "
                             "chosen (token inserted or removed?)", infos[i].slot_id);
            goto out;
        }
        c->hold_lock = c->info.serial[0] == '\0' && !tok_blank_per_process(&c->info);
        goto out;
    }
    if (blanks == 0)
        ret = sk_err_set(e, SK_ETOKEN, "no blank (uninitialised) token present");
    else
        ret = sk_err_set(e, SK_ETOKEN, "no blank (uninitialised) token free: the %zu present "
                         "are being issued onto by other processes of this station", blanks);
out:
    free(infos);
    return ret;
}

static int select_token(const issue_env *env, const order *o, const char *uri,
                        issue_token_choice *c, sk_err *e)
{
    int ret = uri == NULL ? select_blank(env, c, e) : tok_select(env->tokens, uri, &c->slot, e);

    if (ret == SK_OK && uri != NULL && (ret = tok_get_info(c->slot, &c->info, e)) == SK_OK &&
        (ret = issue_claim_token(env, c->info.serial, &c->claim_fd, e)) == SK_OK)
        snprintf(c->claimed_serial, sizeof(c->claimed_serial), "%s", c->info.serial);
    if (ret == SK_OK)
        ret = find_holder(env, c, e);
    if (ret == SK_OK && !c->has_holder)
        ret = check_unfinished(env, o, &c->info, e);
    return ret;
}

/* A failed attempt that never recorded its token (a crash right after C_InitToken) is found
 * by the order's label. Earlier tokens of the order carry the same label: the live one of a
 * reissue and revoked ones are left alone; one the ledger knows only from a failed attempt of
 * this order is the order's own half-made token as well. An unrecorded token is taken first,
 * since the latest attempt is the one that lost its token. *uri is "" when there is none. */
static int find_half_made_token(const issue_env *env, const order *o, char *uri, size_t len,
                                sk_err *e)
{
    tok_info *infos = NULL;
    ledger_issuance last;
    size_t n = 0;
    char unrecorded[sizeof(infos->serial)] = "", failed[sizeof(infos->serial)] = "";
    bool found;
    int ret;

    uri[0] = '\0';
    if ((ret = tok_list_tokens(env->tokens, &infos, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!infos[i].initialized || strcmp(infos[i].label, o->number) != 0)
            continue;
        if ((ret = ledger_token_latest(env->ledger, infos[i].serial, &last, &found, e)) != SK_OK)
            goto out;
        if (!found && unrecorded[0] == '\0')
            snprintf(unrecorded, sizeof(unrecorded), "%s", infos[i].serial);
        else if (found && last.step == ISS_FAILED && strcmp(last.order_number, o->number) == 0 &&
                 failed[0] == '\0')
            snprintf(failed, sizeof(failed), "%s", infos[i].serial);
    }
    if (unrecorded[0] != '\0' || failed[0] != '\0')
        snprintf(uri, len, "pkcs11:serial=%s", unrecorded[0] != '\0' ? unrecorded : failed);
out:
    free(infos);
    return ret;
}

int issue_choose_token(const issue_env *env, const order *o, const issue_opts *opts,
                       const char *resume_uri, issue_token_choice *c, sk_err *e)
{
    int ret;

    char by_serial[64];

    memset(c, 0, sizeof(*c));
    c->claim_fd = -1;
    c->resuming = resume_uri[0] != '\0' && opts->token_uri == NULL;
    if (c->resuming && strncmp(resume_uri, "pkcs11:token=", 13) == 0) {
        if ((ret = find_half_made_token(env, o, by_serial, sizeof(by_serial), e)) != SK_OK)
            goto out;
        c->resuming = by_serial[0] != '\0';
        resume_uri = by_serial;
    }
    ret = select_token(env, o, c->resuming ? resume_uri : opts->token_uri, c, e);
    /* The half-made token is not in a reader, has since been reused for another order, or
     * is the order's own live token (a reissue found by the order's label): any blank token
     * will do, and that token is left alone. */
    if (c->resuming && (ret == SK_ETOKEN || (ret == SK_OK && (strcmp(c->info.label, o->number) !=
                                                                  0 || c->has_holder)))) {
        tok_slot_free(c->slot);
        c->slot = NULL;
        issue_release_claim(env, c->claimed_serial, &c->claim_fd);
        c->resuming = false;
        c->has_holder = false;
        ret = select_token(env, o, opts->token_uri, c, e);
    }
    if (ret != SK_OK)
        goto out;
    if (c->has_holder && opts->revoke_holder == NULL) {
        ret = sk_err_set(e, SK_ESTATE,
                         "token '%s' (serial %s) is the live token of order %s (certificate "
                         "serial %s); to wipe it, revoke that order in the same command: "
                         "--revoke-holder %s",
                         c->info.label, c->info.serial, c->holder.order_number,
                         c->holder.cert_serial, c->holder.order_number);
        goto out;
    }
    if (c->has_holder && strcmp(opts->revoke_holder, c->holder.order_number) != 0) {
        ret = sk_err_set(e, SK_ESTATE,
                         "--revoke-holder %s: token '%s' (serial %s) is the live token of order "
                         "%s, not of %s; nothing revoked",
                         opts->revoke_holder, c->info.label, c->info.serial,
                         c->holder.order_number, opts->revoke_holder);
        goto out;
    }
    if (!c->has_holder && opts->revoke_holder != NULL) {
        ret = sk_err_set(e, SK_ESTATE,
                         "--revoke-holder %s: token '%s' (serial %s) is not the live token of "
                         "any order in the ledger; nothing revoked",
                         opts->revoke_holder, c->info.label, c->info.serial);
        goto out;
    }
    /* Only a token this order itself half-made may be erased without being asked. */
    if (c->info.initialized && !opts->reinit && !c->resuming) {
        ret = sk_err_set(e, SK_ESTATE,
                         "token '%s' (serial %s) is already initialised; use --reinit to erase it",
                         c->info.label, c->info.serial);
        goto out;
    }
    ret = SK_OK;
out:
    if (ret != SK_OK) {
        tok_slot_free(c->slot);
        c->slot = NULL;
        issue_release_claim(env, c->claimed_serial, &c->claim_fd);
    }
    return ret;
}

int issue_revoke_holder(const issue_env *env, const order *o, const ledger_issuance *holder,
                        const char *token_serial, const char *token_word, const char *reason,
                        sk_err *e)
{
    ledger_issuance *v = NULL;
    size_t n = 0;
    char detail[256];
    int ret;

    if (reason == NULL)
        reason = "cessationOfOperation";
    if ((ret = ledger_revoke(env->ledger, holder->order_number, reason, &v, &n, e)) != SK_OK)
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (v[i].id == holder->id)
            snprintf(detail, sizeof(detail), "%s; its %s %s is wiped for order %s "
                     "(--revoke-holder)", reason, token_word, token_serial, o->number);
        else
            snprintf(detail, sizeof(detail), "%s; an earlier certificate of the order, revoked "
                     "with its live token (--revoke-holder for order %s)", reason, o->number);
        audit_event ev = {.event = AUDIT_EV_REVOKED,
                          .order = v[i].order_number,
                          .token_serial = v[i].token_serial,
                          .cert_serial = v[i].cert_serial,
                          .result = AUDIT_OK,
                          .detail = detail};
        if ((ret = audit_append(env->audit, &ev, e)) != SK_OK) {
            sk_err_wrap(e, "audit log");
            goto out;
        }
    }
out:
    free(v);
    return ret;
}
