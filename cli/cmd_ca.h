/* Shared by the ca verbs (cli/cmd_ca*.c). */
#ifndef SK_CMD_CA_H
#define SK_CMD_CA_H

#include "issuer/ca/ca_pki.h"
#include "issuer/station/station.h"
#include "pkcs11/tok.h"

/* The HSM module for the CA key, if the station has one (*hsm NULL otherwise). */
int cmd_ca_hsm_open(const station_config *st, tok_module **hsm, sk_err *e);

/* The station's CA mode into *out, printed if print; CLI_DONE when there is nothing more to
 * show (a request that waits for its certificates), SK_OK to go on to the certificates. */
int cmd_ca_show_mode(const station_config *st, bool print, ca_mode_info *out, sk_err *e);

#endif
