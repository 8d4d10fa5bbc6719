/* sealkey token show|unblock|hold|release|lost: a token after its issuance (issue 13). */
#ifndef SK_CMD_TOKEN_H
#define SK_CMD_TOKEN_H

#include <stdbool.h>

#include "cli/cli.h"
#include "cli/cli_output.h"
#include "issuer/operations/op_token.h"
#include "util/sk_problems.h"

/* The options the verbs share, parsed by cmd_token_parse_common into cli_args. */
struct token_args {
    op_token_ref ref;
    const char *reason;  /* lost */
    const char *orders;  /* unblock: the order file, for the mailer's unit and recipient */
    bool force;          /* unblock a PIN that is not locked */
    cli_output out;      /* --json, every verb */
    bool no_token;       /* show: the ledger only */
    order_file *of;      /* unblock, with --orders */
    sk_problems probs;   /* the order file's (the mailer needs only names) */
    const order *o;      /* unblock: the order in of, or NULL */
};

/* Options of verb (its usage text): --order | --serial | --token (exactly one), --station,
 * --operator, --json (every verb: its result as one JSON document), and what the verb takes:
 * 'r' --reason, 'f' --force, 'o' --orders, 'n' --no-token. */
int cmd_token_parse_common(const char *verb, const char *usage, const char *extra, int argc,
                           char **argv, cli_ctx *cx);

int cmd_token(int argc, char **argv);
int cmd_token_show_parse(int argc, char **argv, cli_ctx *c);
int cmd_token_show_run(cli_ctx *c, sk_err *e);
int cmd_token_unblock_parse(int argc, char **argv, cli_ctx *c);
int cmd_token_unblock_prepare(cli_ctx *c, sk_err *e);
int cmd_token_unblock_run(cli_ctx *c, sk_err *e);
int cmd_token_hold_parse(int argc, char **argv, cli_ctx *c);
int cmd_token_hold_run(cli_ctx *c, sk_err *e);
int cmd_token_release_parse(int argc, char **argv, cli_ctx *c);
int cmd_token_release_run(cli_ctx *c, sk_err *e);
int cmd_token_lost_parse(int argc, char **argv, cli_ctx *c);
int cmd_token_lost_run(cli_ctx *c, sk_err *e);

#endif
