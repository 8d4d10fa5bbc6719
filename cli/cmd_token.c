/* sealkey token: the group, the options its verbs share, and the verbs that change the
 * ledger (hold, release, lost) or the token (unblock); show is in cmd_token_show.c. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_secrets.h"
#include "cli/cmd_token.h"

static const char group_usage[] =
    "sealkey token show|unblock|hold|release|lost (--order NUMBER | --serial TOKEN-SERIAL |\n"
    "              --token URI) [--station DIR] [--json] [options]\n"
    "  A token after its issuance (sealkey token VERB --help for each); with --json, each\n"
    "  verb's result as one JSON document on standard output:\n"
    "  show     what the ledger says and what the token holds, side by side\n"
    "  unblock  a new random user PIN set with the SO PIN, into a new PIN mailer\n"
    "  hold     revoke the certificate as certificateHold, until released\n"
    "  release  lift a hold: the next CRL leaves the certificate out\n"
    "  lost     revoke the certificate (keyCompromise) and mark the token lost";

static void token_args_free(void *p)
{
    struct token_args *a = p;

    sk_problems_free(&a->probs);
    order_file_free(a->of);
}

int cmd_token_parse_common(const char *verb, const char *usage, const char *extra, int argc,
                           char **argv, cli_ctx *cx)
{
    static const struct option opts[] = {
        {"station", required_argument, NULL, 's'}, {"operator", required_argument, NULL, 'O'},
        {"order", required_argument, NULL, 'N'},   {"serial", required_argument, NULL, 'S'},
        {"token", required_argument, NULL, 'T'},   {"reason", required_argument, NULL, 'r'},
        {"force", no_argument, NULL, 'f'},         {"orders", required_argument, NULL, 'o'},
        CLI_OPT_JSON_ROW,                          {"no-token", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    struct token_args *a = cli_args(cx, sizeof(*a), token_args_free);
    int c, named = 0, idx = 0;

    if (a == NULL)
        return SK_OK;
    sk_problems_init(&a->probs);
    while ((c = getopt_long(argc, argv, "h", opts, &idx)) != -1) {
        /* --json is every verb's; extra holds the characters of the verb's own options. */
        if (c != '?' && c != 'h' && c != 's' && c != 'O' && c != 'N' && c != 'S' && c != 'T' &&
            c != CLI_OPT_JSON && (c > 0x7f || strchr(extra, c) == NULL))
            return cli_usage_error(usage, "token %s: --%s is not an option of %s", verb,
                                   opts[idx].name, verb);
        switch (c) {
        case 's': cx->station_opt = optarg; break;
        case 'O': cx->operator_opt = optarg; break;
        case 'N': a->ref.order = optarg; named++; break;
        case 'S': a->ref.serial = optarg; named++; break;
        case 'T': a->ref.uri = optarg; named++; break;
        case 'r': a->reason = optarg; break;
        case 'f': a->force = true; break;
        case 'o': a->orders = optarg; break;
        CLI_OUTPUT_CASES: cli_output_set(&a->out, c); break;
        case 'n': a->no_token = true; break;
        case 'h': printf("usage: %s\n", usage); return CLI_DONE;
        default: return cli_usage_error(usage, "token %s: bad option", verb);
        }
    }
    if (optind != argc)
        return cli_usage_error(usage, "token %s: unexpected argument '%s'", verb, argv[optind]);
    if (cli_output_check(&a->out, CLI_FMT_TEXT, usage, "token") != SK_OK)
        return SK_EUSAGE;
    if (named != 1)
        return cli_usage_error(usage, "token %s: name the token by exactly one of --order, "
                               "--serial, --token", verb);
    if ((a->ref.serial != NULL && a->ref.serial[0] == '\0') ||
        (a->ref.order != NULL && a->ref.order[0] == '\0'))
        return cli_usage_error(usage, "token %s: an empty --order or --serial names nothing",
                               verb);
    return SK_OK;
}

int cmd_token(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(group_usage, "token: which one, show, unblock, hold, release or "
                               "lost?");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: %s\n", group_usage);
        return SK_OK;
    }
    return cli_usage_error(group_usage, "token: '%s' is not a token command", argv[1]);
}

/* --- hold, release --- */

static const char hold_usage[] =
    "sealkey token hold (--order NUMBER | --serial TOKEN-SERIAL | --token URI) [--station DIR]\n"
    "              [--json]\n"
    "  Put the order's live certificate on hold: revoked with reason certificateHold, so the\n"
    "  next `sealkey crl` lists it, until `sealkey token release` lifts the hold. The token\n"
    "  stays the order's (no other order may take it). Recorded in the ledger and the audit\n"
    "  log.\n"
    CLI_HELP_JSON "                    ({\"order_number\", \"action\", \"cert_serial\", ...})\n"
    "  Exit status: 4 the order has no live certificate (not issued, on hold already,\n"
    "  revoked).";

static const char release_usage[] =
    "sealkey token release (--order NUMBER | --serial TOKEN-SERIAL | --token URI)\n"
    "              [--station DIR] [--json]\n"
    "  Lift a hold (sealkey token hold): the certificate is live again and the next\n"
    "  `sealkey crl` leaves it out. Recorded in the ledger and the audit log.\n"
    CLI_HELP_JSON "                    ({\"order_number\", \"action\", \"cert_serial\", ...})\n"
    "  Exit status: 4 the certificate is not on hold.";

int cmd_token_hold_parse(int argc, char **argv, cli_ctx *cx)
{
    return cmd_token_parse_common("hold", hold_usage, "", argc, argv, cx);
}

int cmd_token_release_parse(int argc, char **argv, cli_ctx *cx)
{
    return cmd_token_parse_common("release", release_usage, "", argc, argv, cx);
}

static int hold_or_release(cli_ctx *cx, bool hold, sk_err *e)
{
    const struct token_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    ledger_issuance iss;
    char number[64];
    int ret;

    if ((ret = op_token_order(&env, &a->ref, number, sizeof(number), e)) != SK_OK)
        return ret;
    ret = hold ? op_token_hold(&env, number, cx->operator_name, &iss, e)
               : op_token_release(&env, number, cx->operator_name, &iss, e);
    if (ret != SK_OK)
        return ret;
    if (a->out.format == CLI_FMT_JSON)
        return cli_json_print(json_pack("{s:s, s:s, s:s, s:s?, s:s?}", "order_number", number,
                                        "action", hold ? "hold" : "release", "cert_serial",
                                        iss.cert_serial, "token_serial",
                                        iss.token_serial[0] ? iss.token_serial : NULL,
                                        "held_since", hold ? iss.revoked_at : NULL),
                              e);
    if (hold)
        printf("order %s: certificate %s (token %s) on hold since %s; run sealkey crl to "
               "publish\n", number, iss.cert_serial, iss.token_serial[0] ? iss.token_serial : "-",
               iss.revoked_at);
    else
        printf("order %s: certificate %s (token %s) released, live again; the next sealkey crl "
               "leaves it out\n", number, iss.cert_serial,
               iss.token_serial[0] ? iss.token_serial : "-");
    return SK_OK;
}

int cmd_token_hold_run(cli_ctx *cx, sk_err *e)
{
    return hold_or_release(cx, true, e);
}

int cmd_token_release_run(cli_ctx *cx, sk_err *e)
{
    return hold_or_release(cx, false, e);
}

/* --- lost --- */

static const char lost_usage[] =
    "sealkey token lost (--order NUMBER | --serial TOKEN-SERIAL | --token URI)\n"
    "              [--reason REASON] [--station DIR] [--json]\n"
    "  The token is lost: every certificate of its order not revoked yet is revoked (as\n"
    "  `sealkey revoke`; a certificate on hold too), with REASON keyCompromise by default\n"
    "  (whoever finds the token holds the key; `revoke`'s reasons are taken), and the token\n"
    "  is marked lost in the ledger. Run sealkey crl to publish, sealkey issue --reissue for\n"
    "  a replacement.\n"
    CLI_HELP_JSON "                    ({\"order_number\", \"token_serial\", \"cert_serial\",\n"
    "                    \"reason\", \"revoked\": what this run revoked})\n"
    "  Exit status: 3 bad reason, 4 no issued token, or marked lost already.";

int cmd_token_lost_parse(int argc, char **argv, cli_ctx *cx)
{
    const struct token_args *a;
    const char *canonical;
    sk_err e;
    int ret = cmd_token_parse_common("lost", lost_usage, "r", argc, argv, cx);

    if (ret != SK_OK || (a = cx->args) == NULL || a->reason == NULL)
        return ret;
    /* A reason that is not one, before the station is looked at. */
    if (ca_revocation_reason(a->reason, &canonical, &e) != SK_OK)
        return cli_report(&e);
    return SK_OK;
}

/* In the form of revoke --json's list, and what the token now is. */
static json_t *lost_json(const char *number, const op_token_lost_result *r)
{
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i < r->revoke.n; i++) {
        const ledger_issuance *v = &r->revoke.revoked[i];
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "cert_serial",
                                              v->cert_serial, "token_serial", v->token_serial,
                                              "step", iss_step_name(v->step), "reason",
                                              v->revocation_reason, "revoked_at",
                                              v->revoked_at));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "order_number", number, "token_serial",
                     r->token_serial, "cert_serial", r->cert_serial, "reason", r->reason,
                     "lost", 1, "revoked", list);
}

int cmd_token_lost_run(cli_ctx *cx, sk_err *e)
{
    const struct token_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_token_lost_result r;
    char number[64];
    int ret;

    if ((ret = op_token_order(&env, &a->ref, number, sizeof(number), e)) != SK_OK)
        return ret;
    ret = op_token_lost(&env, number, a->reason, cx->operator_name, &r, e);
    if (ret == SK_OK && a->out.format == CLI_FMT_JSON)
        ret = cli_json_print(lost_json(number, &r), e);
    else if (ret == SK_OK) {
        for (size_t i = 0; i < r.revoke.n; i++)
            printf("order %s: certificate serial %s (token %s, %s) revoked (%s)\n", number,
                   r.revoke.revoked[i].cert_serial,
                   r.revoke.revoked[i].token_serial[0] ? r.revoke.revoked[i].token_serial : "-",
                   iss_step_name(r.revoke.revoked[i].step),
                   r.revoke.revoked[i].revocation_reason);
        printf("order %s: token %s marked lost, certificate %s revoked (%s); run sealkey crl to "
               "publish\n", number, r.token_serial, r.cert_serial, r.reason);
    }
    op_token_lost_result_free(&r);
    return ret;
}

/* --- unblock --- */

static const char unblock_usage[] =
    "sealkey token unblock (--order NUMBER | --serial TOKEN-SERIAL | --token URI)\n"
    "              [--orders FILE] [--force] [--station DIR] [--json]\n"
    "  The token's user PIN is locked (too many wrong tries): with the SO PIN\n"
    "  (pin_policy.so_pin) set a new random user PIN by pin_policy, written first to a NEW\n"
    "  0600 PIN mailer out/ORDER/pin-mailer-unblock-N.txt (never over an earlier mailer),\n"
    "  then checked by logging in with it, recorded in the ledger and the audit log. Only\n"
    "  an order's live (or held) token still labelled with the order is unblocked.\n"
    "  --orders FILE  the order file, for the unit and recipient on the mailer\n"
    "  --force        set a new PIN even though the PIN is not locked\n"
    CLI_HELP_JSON "                    ({\"order_number\", \"token_serial\", \"was_locked\",\n"
    "                    \"pin_mailer\"}: the mailer's path, never the PIN)\n"
    "  Exit status: 4 not locked (without --force) or not an issued token, 5 token absent,\n"
    "  6 SO PIN wrong or locked.";

int cmd_token_unblock_parse(int argc, char **argv, cli_ctx *cx)
{
    return cmd_token_parse_common("unblock", unblock_usage, "fo", argc, argv, cx);
}

int cmd_token_unblock_prepare(cli_ctx *cx, sk_err *e)
{
    struct token_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    char number[64];
    int ret;

    if (a->orders == NULL)
        return SK_OK;
    if ((ret = op_token_order(&env, &a->ref, number, sizeof(number), e)) != SK_OK ||
        (ret = order_file_load(a->orders, &a->of, &a->probs, e)) != SK_OK)
        return ret;
    if ((a->o = order_file_find(a->of, number)) == NULL)
        return sk_err_set(e, SK_EINPUT, "%s: no order %s in the file", a->orders, number);
    return SK_OK;
}

int cmd_token_unblock_run(cli_ctx *cx, sk_err *e)
{
    const struct token_args *a = cx->args;
    op_env env = CLI_OP_ENV(cx);
    op_token_unblock_result r;
    tok_module *m = NULL;
    int ret;

    if ((ret = tok_module_open(cx->st->pkcs11_module, &m, e)) != SK_OK)
        goto out;
    ret = op_token_unblock(&env, m, &a->ref, cx->secrets->so_pin, a->force, a->o,
                           cx->operator_name, &r, e);
    cli_ctx_wipe(cx);
    if (ret == SK_OK && a->out.format == CLI_FMT_JSON)
        ret = cli_json_print(json_pack("{s:s, s:s, s:s, s:b, s:s}", "order_number", r.order,
                                       "token_serial", r.token_serial, "token_label",
                                       r.token_label, "was_locked", r.was_locked, "pin_mailer",
                                       r.pin_mailer),
                             e);
    else if (ret == SK_OK)
        printf("order %s: token %s unblocked (the PIN was %slocked); the new user PIN is in "
               "%s\n", r.order, r.token_serial, r.was_locked ? "" : "not ", r.pin_mailer);
out:
    tok_module_free(m);
    return ret;
}
