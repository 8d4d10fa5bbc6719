/* ca show's first line: the station's CA mode (issuer/ca/ca_pki.h, docs/pki.md). */
#include <limits.h>
#include <openssl/pem.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmd_ca.h"
#include "issuer/ca/ca_pki.h"

static void show_req(const station_config *st, const char *name)
{
    char path[PATH_MAX], subject[512];
    sk_err e;
    FILE *f;
    X509_REQ *req = NULL;

    if (station_path(st, name, path, sizeof(path), &e) != SK_OK || (f = fopen(path, "r")) == NULL)
        return;
    req = PEM_read_X509_REQ(f, NULL, NULL, NULL);
    fclose(f);
    if (req == NULL)
        return;
    X509_NAME_oneline(X509_REQ_get_subject_name(req), subject, sizeof(subject));
    printf("  %-18s %s\n", name, subject);
    X509_REQ_free(req);
}

int cmd_ca_show_mode(const station_config *st, bool print, ca_mode_info *out, sk_err *e)
{
    ca_mode_info m;
    int ret;

    if ((ret = ca_mode_get(st, &m, e)) != SK_OK)
        return ret;
    *out = m;
    if (m.mode == CA_MODE_NONE)
        return sk_err_set(e, SK_EINPUT,
                          "no CA in this station (run sealkey ca request, or ca "
                          "init for a demo)");
    if (!print)
        return m.mode == CA_MODE_REQUESTED ? CLI_DONE : SK_OK;
    switch (m.mode) {
    case CA_MODE_DEMO:
        printf("mode: demo (sealkey ca init: the root key ca/root.key is on this station; for "
               "demos and tests)\n");
        break;
    case CA_MODE_PRODUCTION:
        printf("mode: production (issuing CA signed by the CA's own root; no root key on this "
               "station)\n");
        break;
    case CA_MODE_EXTERNAL:
        printf("mode: external (ca.signing: the CA's own system signs the tokens' "
               "certificates; no CA key on this station)\n");
        break;
    case CA_MODE_REQUESTED:
        printf("mode: requested (waiting for sealkey ca import; requests:)\n");
        show_req(st, "ca/" CA_ISSUING_CSR);
        show_req(st, "ca/" CA_SEALMAKER_CSR);
        return CLI_DONE;
    case CA_MODE_NONE:
        break;
    }
    if (m.seal_requested)
        printf("seal maker: requested, waiting for sealkey ca import --seal-cert\n");
    else if (!m.seal_root_key)
        printf("seal maker: imported (no seal root key on this station)\n");
    return SK_OK;
}
