#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "cli/cli_output.h"
#include "cli/cli_secrets.h"
#include "util/sk_file.h"
#include "issuer/issuance/issue_env.h"
#include "util/sk_problems.h"
#include "util/sk_secmem.h"
#include "util/sk_secret.h"

static const char usage[] =
    "sealkey issue --orders FILE --order NUMBER [--token PKCS11-URI] [--station DIR]\n"
    "              [--reissue] [--reinit] [--revoke-holder ORDER] [--reason REASON]\n"
    "              [--user-pin SOURCE] [--pin-to-tty] [--ca-pass SOURCE] [--operator NAME]\n"
    "              [--json]\n"
    "  Issue one approved order onto a token: initialise it (label = order number, SO PIN\n"
    "  from the station policy), set the user PIN, generate the key pair on the token,\n"
    "  issue the organisation certificate from a token-signed CSR, write certificate and CA\n"
    "  chain, make the electronic seals from the order's scans (official, and legal-rep\n"
    "  when scanned) and write them as data objects, read everything back and verify it.\n"
    "  Each step is recorded in the ledger.\n"
    "  --token URI       RFC 7512 URI of the token (default: the first uninitialised token):\n"
    "                    token, serial, manufacturer, model, slot-*, library-* all match;\n"
    "                    module-name/module-path must name station.json's pkcs11_module\n"
    "                    (else refused, exit 3); object, id, type, pin-source are refused;\n"
    "                    on an SKF station (token_api \"skf\") skf:NAME or skf:serial=S\n"
    "                    names the device (default: the first blank one); the read-back\n"
    "                    then also seals a test document on the device\n"
    "  --reissue         replace an order that was already issued (new token, new\n"
    "                    certificate); the old certificate stays valid until the new token\n"
    "                    is verified, then is revoked (reason superseded, or --reason)\n"
    "  --reinit          erase a token that is already initialised (needs its SO PIN)\n"
    "  --revoke-holder ORDER\n"
    "                    the token is ORDER's live token in the ledger: revoke ORDER's\n"
    "                    certificate (reason cessationOfOperation, or --reason), then wipe\n"
    "                    the token; without it such a token is refused\n"
    "  --reason REASON   CRL reason for what this command revokes (with --reissue or\n"
    "                    --revoke-holder): lost (keyCompromise), faulty (superseded), closed\n"
    "                    (cessationOfOperation), affiliationChanged, unspecified\n"
    "  --user-pin SOURCE the user PIN to set (env:NAME, file:PATH, fd:N, prompt), digits as\n"
    "                    many as pin_policy allows; default a random PIN by the policy\n"
    "  --pin-to-tty      show the new PIN once on the terminal instead of writing the 0600\n"
    "                    PIN mailer out/ORDER/pin-mailer.txt\n"
    "  --ca-pass SOURCE  CA key passphrase / HSM PIN source (default ca.passphrase)\n"
    "  --operator NAME   who runs it, for the ledger and the audit log (default\n"
    "                    $SEALKEY_OPERATOR, else the login name): 1-63 bytes of UTF-8, no\n"
    "                    control or invisible characters (docs/audit.md); checked first\n"
    CLI_HELP_JSON
    "                    (the token, certificate, seals and files; never the PIN)\n"
    "  Outputs in the station's out/ORDER/: cert.pem, chain.pem, official.esl and\n"
    "  legal-rep.esl (signed seals), official.png and legal-rep.png (seal pictures),\n"
    "  pin-mailer.txt (0600).\n"
    "  The certificate never outlives the issuing CA: its validity is capped at the CA's\n"
    "  notAfter (with a notice), and refused (exit 4) when under 30 days would remain.\n"
    "  Everything checkable (PIN, PIN mailer, token) is checked before the token is wiped,\n"
    "  and the token is in the ledger as soon as it is initialised: a rerun after a failure\n"
    "  resumes on the same token.\n"
    "  Exit status: 3 bad order or reason, 4 order/token state forbids it (already issued,\n"
    "  token initialised or another order's live token), 5 token error, 6 PIN.";

struct issue_args {
    const char *orders, *order_number, *token, *user_pin_src;
    const char *revoke_holder, *reason;
    bool reissue, reinit, pin_to_tty;
    cli_output out;
    const char *canonical_reason; /* the reason's CRL name (prepare) */
    order_file *of;
    const order *o;               /* in of (prepare) */
};

static void issue_args_free(void *p)
{
    struct issue_args *a = p;

    order_file_free(a->of);
}

int cmd_issue_parse(int argc, char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {CLI_OPT_STATION_ROW,
                                         {"orders", required_argument, NULL, 'f'},
                                         {"order", required_argument, NULL, 'o'},
                                         {"token", required_argument, NULL, 't'},
                                         {"reissue", no_argument, NULL, 'R'},
                                         {"reinit", no_argument, NULL, 'I'},
                                         {"user-pin", required_argument, NULL, 'u'},
                                         {"pin-to-tty", no_argument, NULL, 'T'},
                                         CLI_OPT_CA_PASS_ROW,
                                         CLI_OPT_OPERATOR_ROW,
                                         {"revoke-holder", required_argument, NULL, 'H'},
                                         {"reason", required_argument, NULL, 'r'},
                                         CLI_OPT_JSON_ROW,
                                         CLI_OPT_HELP_ROW,
                                         {NULL, 0, NULL, 0}};
    struct issue_args *a = cli_args(cx, sizeof(*a), issue_args_free);
    int c, ret;

    if (a == NULL)
        return SK_OK;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a->orders = optarg; break;
        case 'o': a->order_number = optarg; break;
        case 't': a->token = optarg; break;
        case 'R': a->reissue = true; break;
        case 'I': a->reinit = true; break;
        case 'u': a->user_pin_src = optarg; break;
        case 'T': a->pin_to_tty = true; break;
        case 'H': a->revoke_holder = optarg; break;
        case 'r': a->reason = optarg; break;
        default:
            if ((ret = cli_opt_common(cx, &a->out, c, usage, "issue")) != SK_OK)
                return ret;
        }
    }
    if ((ret = cli_opt_no_args(argc, argv, usage, "issue")) != SK_OK)
        return ret;
    if (a->orders == NULL || a->order_number == NULL)
        return cli_usage_error(usage, "issue: --orders and --order are required");
    if (a->reason != NULL && !a->reissue && a->revoke_holder == NULL)
        return cli_usage_error(usage, "issue: --reason goes with --reissue or --revoke-holder");
    if (a->pin_to_tty && !isatty(STDOUT_FILENO))
        return cli_usage_error(usage, "issue: --pin-to-tty needs a terminal on standard output");
    return cli_output_check(&a->out, CLI_FMT_TEXT, usage, "issue");
}

/* The new PIN, once, to the terminal only; never to a log or file. Formatted into locked
 * memory and written with write(2): a stdio stream would leave a copy in its buffer. */
static void show_pin_on_tty(const char *pin)
{
    enum { TTY_LINE = SK_SECRET_MAX + 128 };
    char *line = NULL;
    sk_err e;
    int fd = open("/dev/tty", O_WRONLY | O_CLOEXEC | O_NOCTTY);
    int n;

    if (fd < 0 || sk_secmem_alloc(TTY_LINE, (void **)&line, &e) != SK_OK)
        goto out;
    n = snprintf(line, TTY_LINE, "  user PIN (shown once, write it on the PIN mailer): %s\n", pin);
    if (n > 0 && n < TTY_LINE && write(fd, line, (size_t)n) < 0) {
        /* Nothing more to do: the PIN is only ever shown here. */
    }
out:
    sk_secmem_free(line, TTY_LINE);
    if (fd >= 0)
        close(fd);
}

/* The chosen order, checked on its own and for duplicates in its file. */
static int find_order(const char *path, const char *number, const station_config *st,
                      order_file **f, const order **o, sk_err *e)
{
    sk_problems load_probs, probs;
    const sk_problem *p;
    char label[128];
    int ret;

    sk_problems_init(&load_probs);
    sk_problems_init(&probs);
    *o = NULL;
    if ((ret = order_file_load(path, f, &load_probs, e)) != SK_OK)
        goto out;
    *o = order_file_find(*f, number);
    if (*o == NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s: no order %s in the file", path, number);
        goto out;
    }
    order_file_check(*f, st, &load_probs, &probs, NULL);
    order_label(*o, label, sizeof(label));
    /* Other orders' problems do not stop this one (JX-10's do not stop JX-1); its own, and
     * those of other orders with its number (duplicates), do. */
    if ((p = sk_problems_find(&probs, label)) != NULL) {
        ret = sk_err_set(e, SK_EINPUT, "%s (see sealkey order check for all problems)", p->text);
        goto out;
    }
    ret = SK_OK;
out:
    sk_problems_free(&load_probs);
    sk_problems_free(&probs);
    return ret;
}

/* The reason and the order, checked before the secrets are read. */
int cmd_issue_prepare(cli_ctx *cx, sk_err *e)
{
    struct issue_args *a = cx->args;
    int ret;

    if (a->reason != NULL &&
        (ret = ca_revocation_reason(a->reason, &a->canonical_reason, e)) != SK_OK)
        return ret;
    return find_order(a->orders, a->order_number, cx->st, &a->of, &a->o, e);
}

/* What issue --json prints: what the text says, as fields; the PIN never. */
static json_t *result_json(const station_config *st, const order *o, const issue_result *r)
{
    const station_project *p = station_project_find(st, o->project_code);
    json_t *seals = json_array();

    for (size_t i = 0; seals != NULL && i < r->n_seals; i++)
        json_array_append_new(seals, json_string(r->seal_ids[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:o, s:s, s:s?, s:s?, s:s?,"
                     " s:s?, s:b, s:s?}",
                     "order_number", o->number, "project_code", o->project_code,
                     "token_label", r->token_label, "token_serial", r->token_serial,
                     "cert_serial", r->cert_serial, "not_after", r->not_after,
                     "validity_capped", r->not_after_capped, "validity_days_asked",
                     p != NULL ? p->validity_days : 0, "seal_ids", seals, "out_dir",
                     r->out_dir, "pin_mailer", r->pin_mailer[0] ? r->pin_mailer : NULL,
                     "replaced_cert_serial",
                     r->replaced_cert_serial[0] ? r->replaced_cert_serial : NULL,
                     "replaced_reason", r->replaced_reason[0] ? r->replaced_reason : NULL,
                     "revoked_holder_order", r->holder_order[0] ? r->holder_order : NULL,
                     "awaiting_certificate", r->awaiting_cert,
                     "request", r->awaiting_cert && r->request_path[0] ? r->request_path : NULL);
}

int cmd_issue_run(cli_ctx *cx, sk_err *e)
{
    const struct issue_args *a = cx->args;
    const station_config *st = cx->st;
    const order *o = a->o;
    cli_secrets *sec = cx->secrets;
    issue_result r;
    int ret;

    memset(&r, 0, sizeof(r));
    if (a->user_pin_src != NULL &&
        (ret = cli_station_secret(st, a->user_pin_src, NULL, "new user PIN", true, sec->user_pin,
                                  sizeof(sec->user_pin), e)) != SK_OK)
        return ret;
    issue_run_secrets rs = {.so_pin = sec->so_pin, .ca_secret = sec->ca_secret};
    issue_opts opts = {.token_uri = a->token, .reissue = a->reissue, .reinit = a->reinit,
                       .revoke_holder = a->revoke_holder, .revocation_reason = a->canonical_reason,
                       .user_pin = a->user_pin_src ? sec->user_pin : NULL,
                       .pin_out = a->pin_to_tty ? sec->user_pin : NULL};
    if ((ret = issue_run(st, o, &rs, cx->operator_name, &opts, &r, e)) != SK_OK)
        return ret;
    if (a->out.format == CLI_FMT_JSON) {
        if (a->pin_to_tty)
            show_pin_on_tty(sec->user_pin);
        return cli_json_print(result_json(st, o, &r), e);
    }
    if (r.awaiting_cert) {
        /* External signing (ca.signing): the CA's own system signs the request. */
        printf("order %s: key made on token '%s' serial %s; waiting for its certificate\n"
               "  request (signed by the token key): %s\n"
               "  sealkey csr-export collects the waiting requests; sealkey cert-import "
               "finishes the token\n", o->number, r.token_label, r.token_serial,
               r.request_path);
        return SK_OK;
    }
    printf("order %s issued: token '%s' serial %s, certificate serial %s, valid until %s\n",
           o->number, r.token_label, r.token_serial, r.cert_serial, r.not_after);
    if (r.not_after_capped) {
        const station_project *p = station_project_find(st, o->project_code);
        printf("  notice: validity capped at the issuing CA's notAfter %s (project %s asks for "
               "%d days); renew the CA\n",
               r.not_after, o->project_code, p != NULL ? p->validity_days : 0);
    }
    for (size_t i = 0; i < r.n_seals; i++)
        printf("  seal %s\n", r.seal_ids[i]);
    printf("  outputs in %s\n", r.out_dir);
    if (r.replaced_cert_serial[0] != '\0')
        printf("  the replaced certificate (serial %s) is revoked (%s); run sealkey crl to "
               "publish\n", r.replaced_cert_serial, r.replaced_reason);
    if (r.holder_order[0] != '\0')
        printf("  order %s, whose token this was, is revoked; run sealkey crl to publish\n",
               r.holder_order);
    if (a->pin_to_tty) {
        show_pin_on_tty(sec->user_pin);
    } else {
        printf("  PIN mailer (0600): %s\n", r.pin_mailer);
    }
    return SK_OK;
}
