/* CKR_* names, their sealkey status and the one-line error every failed call produces. */
#include "pkcs11/tok_int.h"

#include <stdio.h>

#define RV(x) {x, #x}

static const struct {
    CK_RV rv;
    const char *name;
} rv_names[] = {
    RV(CKR_OK),
    RV(CKR_CANCEL),
    RV(CKR_HOST_MEMORY),
    RV(CKR_SLOT_ID_INVALID),
    RV(CKR_GENERAL_ERROR),
    RV(CKR_FUNCTION_FAILED),
    RV(CKR_ARGUMENTS_BAD),
    RV(CKR_NO_EVENT),
    RV(CKR_NEED_TO_CREATE_THREADS),
    RV(CKR_CANT_LOCK),
    RV(CKR_ATTRIBUTE_READ_ONLY),
    RV(CKR_ATTRIBUTE_SENSITIVE),
    RV(CKR_ATTRIBUTE_TYPE_INVALID),
    RV(CKR_ATTRIBUTE_VALUE_INVALID),
    RV(CKR_DATA_INVALID),
    RV(CKR_DATA_LEN_RANGE),
    RV(CKR_DEVICE_ERROR),
    RV(CKR_DEVICE_MEMORY),
    RV(CKR_DEVICE_REMOVED),
    RV(CKR_ENCRYPTED_DATA_INVALID),
    RV(CKR_ENCRYPTED_DATA_LEN_RANGE),
    RV(CKR_FUNCTION_CANCELED),
    RV(CKR_FUNCTION_NOT_PARALLEL),
    RV(CKR_FUNCTION_NOT_SUPPORTED),
    RV(CKR_KEY_HANDLE_INVALID),
    RV(CKR_KEY_SIZE_RANGE),
    RV(CKR_KEY_TYPE_INCONSISTENT),
    RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
    RV(CKR_MECHANISM_INVALID),
    RV(CKR_MECHANISM_PARAM_INVALID),
    RV(CKR_OBJECT_HANDLE_INVALID),
    RV(CKR_OPERATION_ACTIVE),
    RV(CKR_OPERATION_NOT_INITIALIZED),
    RV(CKR_PIN_INCORRECT),
    RV(CKR_PIN_INVALID),
    RV(CKR_PIN_LEN_RANGE),
    RV(CKR_PIN_EXPIRED),
    RV(CKR_PIN_LOCKED),
    RV(CKR_SESSION_CLOSED),
    RV(CKR_SESSION_COUNT),
    RV(CKR_SESSION_HANDLE_INVALID),
    RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED),
    RV(CKR_SESSION_READ_ONLY),
    RV(CKR_SESSION_EXISTS),
    RV(CKR_SESSION_READ_ONLY_EXISTS),
    RV(CKR_SESSION_READ_WRITE_SO_EXISTS),
    RV(CKR_SIGNATURE_INVALID),
    RV(CKR_SIGNATURE_LEN_RANGE),
    RV(CKR_TEMPLATE_INCOMPLETE),
    RV(CKR_TEMPLATE_INCONSISTENT),
    RV(CKR_TOKEN_NOT_PRESENT),
    RV(CKR_TOKEN_NOT_RECOGNIZED),
    RV(CKR_TOKEN_WRITE_PROTECTED),
    RV(CKR_USER_ALREADY_LOGGED_IN),
    RV(CKR_USER_NOT_LOGGED_IN),
    RV(CKR_USER_PIN_NOT_INITIALIZED),
    RV(CKR_USER_TYPE_INVALID),
    RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN),
    RV(CKR_USER_TOO_MANY_TYPES),
    RV(CKR_DOMAIN_PARAMS_INVALID),
    RV(CKR_CURVE_NOT_SUPPORTED),
    RV(CKR_BUFFER_TOO_SMALL),
    RV(CKR_RANDOM_NO_RNG),
    RV(CKR_CRYPTOKI_NOT_INITIALIZED),
    RV(CKR_CRYPTOKI_ALREADY_INITIALIZED),
    RV(CKR_FUNCTION_REJECTED),
};

const char *tok_rv_name(unsigned long rv)
{
    /* Unknown (vendor) codes get a per-thread buffer so the result can go straight into a
     * message; the table covers everything SoftHSM and OpenSC return in practice. */
    static _Thread_local char unknown[32];

    for (size_t i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
        if (rv_names[i].rv == rv)
            return rv_names[i].name;
    snprintf(unknown, sizeof(unknown), "CKR_0x%lx", rv);
    return unknown;
}

int tok_rv_status(CK_RV rv)
{
    switch (rv) {
    case CKR_OK:
        return SK_OK;
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_EXPIRED:
    case CKR_PIN_LOCKED:
    case CKR_USER_PIN_NOT_INITIALIZED:
        return SK_EPIN;
    case CKR_HOST_MEMORY:
        return SK_EINTERNAL;
    default:
        return SK_ETOKEN;
    }
}

const char *tok_rv_hint(CK_RV rv)
{
    switch (rv) {
    case CKR_DEVICE_MEMORY:
        return "token is full";
    case CKR_DEVICE_REMOVED:
    case CKR_TOKEN_NOT_PRESENT:
        return "token was removed";
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
        return "session lost: token removed or module reloaded";
    case CKR_DEVICE_ERROR:
        return "device error";
    case CKR_TOKEN_WRITE_PROTECTED:
        return "token is write-protected";
    case CKR_USER_NOT_LOGGED_IN:
        return "not logged in";
    case CKR_SESSION_EXISTS:
        return "sessions are open on the token";
    case CKR_PIN_LOCKED:
        return "PIN is locked";
    case CKR_PIN_LEN_RANGE:
        return "PIN length out of the token's range";
    case CKR_PIN_INVALID:
        return "PIN has characters the token refuses";
    case CKR_USER_PIN_NOT_INITIALIZED:
        return "user PIN not initialised";
    case CKR_TEMPLATE_INCONSISTENT:
    case CKR_TEMPLATE_INCOMPLETE:
    case CKR_ATTRIBUTE_TYPE_INVALID:
    case CKR_ATTRIBUTE_VALUE_INVALID:
        return "the token refused the object template";
    case CKR_MECHANISM_INVALID:
    case CKR_CURVE_NOT_SUPPORTED:
    case CKR_KEY_SIZE_RANGE:
        return "the token does not support this algorithm";
    case CKR_CRYPTOKI_NOT_INITIALIZED:
        return "module not initialised";
    default:
        return NULL;
    }
}

int tok_fail(const tok_slot *s, sk_err *e, const char *fn, CK_RV rv)
{
    const char *hint = tok_rv_hint(rv);

    if (s != NULL)
        return sk_err_set(e, tok_rv_status(rv), "token '%s' (serial %s): %s: %s%s%s%s", s->label,
                          s->serial[0] ? s->serial : "?", fn, tok_rv_name(rv),
                          hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
    return sk_err_set(e, tok_rv_status(rv), "%s: %s%s%s%s", fn, tok_rv_name(rv), hint ? " (" : "",
                      hint ? hint : "", hint ? ")" : "");
}

void tok_hex(char *dst, size_t dstlen, const unsigned char *id, size_t id_len)
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;

    if (dstlen == 0)
        return;
    for (size_t i = 0; i < id_len && o + 2 < dstlen; i++) {
        dst[o++] = digits[id[i] >> 4];
        dst[o++] = digits[id[i] & 15];
    }
    dst[o] = '\0';
}
