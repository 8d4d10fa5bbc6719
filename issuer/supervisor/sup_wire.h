/* What a batch or station worker tells its supervisor over its pipe: each issuance step as
 * the ledger records it, then once its result. Typed frames, not text:
 *
 *   frame  = kind (1 byte) | length (2 bytes, big-endian) | payload (length bytes)
 *   kind 'S', a step:   step (1 byte, iss_step ISS_RESERVED .. ISS_VERIFIED)
 *   kind 'R', a result: status (1 byte, sk_status) | flags (1 byte: bit 0 already_issued,
 *                       bit 1 awaiting_cert, bit 2 validity_capped)
 *                       | n_seals (1 byte, 0-2) | six strings: token_serial, cert_serial,
 *                       seal_ids[0], seal_ids[1], message, not_after
 *   string = length (2 bytes, big-endian) | bytes (no NUL; shorter than the field it fills)
 *
 * A frame that breaks these rules (unknown kind, a length that does not add up, a string
 * too long for its field or with a NUL in it) is refused, never half taken. */
#ifndef SK_SUP_WIRE_H
#define SK_SUP_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "issuer/records/ledger.h"
#include "util/sk_err.h"

/* A worker's result: what its issuance came to. */
typedef struct sup_result {
    int status;             /* SK_OK or the issuance's sk_status (also the worker's exit) */
    bool already_issued;    /* SK_OK: the ledger held the order as issued; nothing was done */
    bool awaiting_cert;     /* SK_OK: external signing, the order waits for its certificate */
    /* SK_OK: the certificate's notAfter was capped at the issuing CA's (issue_result's
     * not_after_capped), so batch and station say so as issue does. */
    bool validity_capped;
    char token_serial[40];
    char cert_serial[80];
    size_t n_seals;
    char seal_ids[2][48];   /* esIDs: official, then legal-rep when made */
    char message[2048];     /* the error (an sk_err message), "" on success */
    char not_after[32];     /* the certificate's, as the ledger writes times; "" if none */
} sup_result;

/* The longest frame: a result whose every string fills its field. */
#define SUP_WIRE_MAX (3 + 3 + 6 * 2 + (40 - 1) + (80 - 1) + 2 * (48 - 1) + (2048 - 1) + (32 - 1))

typedef enum sup_frame_kind { SUP_FRAME_STEP = 'S', SUP_FRAME_RESULT = 'R' } sup_frame_kind;

typedef struct sup_frame {
    sup_frame_kind kind;
    iss_step step;          /* SUP_FRAME_STEP */
    sup_result result;      /* SUP_FRAME_RESULT */
} sup_frame;

/* Encode into buf (len bytes, SUP_WIRE_MAX is always enough); *used gets the frame's size.
 * SK_EINTERNAL for a step out of range, a status over 255 or a buffer too small. */
int sup_wire_step(iss_step step, unsigned char *buf, size_t len, size_t *used, sk_err *e);
int sup_wire_result(const sup_result *r, unsigned char *buf, size_t len, size_t *used, sk_err *e);

/* Decode the frame at the front of buf (len bytes). *used = its size, or 0 when buf does not
 * hold a whole frame yet (read more, then call again). SK_EINPUT for a frame that breaks the
 * rules above, naming what is wrong. */
int sup_wire_take(const unsigned char *buf, size_t len, sup_frame *f, size_t *used, sk_err *e);

#endif
