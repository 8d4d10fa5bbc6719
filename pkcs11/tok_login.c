/* Token initialisation and logins. PINs are passed straight to the module and never copied
 * or put in messages. */
#include "pkcs11/tok_int.h"

#include <string.h>

/* What the token says about the user PIN's retry counter, for messages. */
static const char *user_pin_state(tok_slot *s)
{
    CK_TOKEN_INFO ti;

    if (s->m->f->C_GetTokenInfo(s->id, &ti) != CKR_OK)
        return "token state unreadable";
    if (ti.flags & CKF_USER_PIN_LOCKED)
        return "user PIN is now locked";
    if (ti.flags & CKF_USER_PIN_FINAL_TRY)
        return "one try left before the PIN locks";
    if (ti.flags & CKF_USER_PIN_COUNT_LOW)
        return "retry count low";
    return "the token reports no low retry count";
}

int tok_init_token(tok_slot *s, const char *so_pin, const char *label, sk_err *e)
{
    CK_UTF8CHAR padded[32];
    size_t len = strlen(label);
    CK_RV rv;

    if (len > sizeof(padded))
        return sk_err_set(e, SK_EINPUT, "token label '%s' is longer than 32 bytes", label);
    memset(padded, ' ', sizeof(padded));
    memcpy(padded, label, len);
    /* C_InitToken fails with CKR_SESSION_EXISTS while any session is open on the token. */
    tok_session_close(s);
    rv = s->m->f->C_InitToken(s->id, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin), padded);
    if (rv != CKR_OK)
        return tok_fail(s, e, "C_InitToken", rv);
    tok_refresh_names(s);
    /* libp11's token struct is stale now (empty label, initialized=0), which does not
     * matter: flags and labels are read raw. Only if libp11 never saw this slot (a slot
     * that appeared after its enumeration) rebuild its list; this is the one moment no
     * session is open on this token. */
    if (!tok_p11_knows(s->m, s->id))
        return tok_p11_refresh(s->m, e);
    return SK_OK;
}

/* Log the session's application out if it is logged in as the wrong role: PKCS11_login and
 * C_Login both keep an existing login of the other role otherwise. */
static int logout_if(tok_slot *s, CK_SESSION_HANDLE h, CK_STATE unwanted1, CK_STATE unwanted2,
                     sk_err *e)
{
    CK_SESSION_INFO si;
    CK_RV rv = s->m->f->C_GetSessionInfo(h, &si);

    if (rv != CKR_OK)
        return tok_fail(s, e, "C_GetSessionInfo", rv);
    if (si.state == unwanted1 || si.state == unwanted2) {
        rv = s->m->f->C_Logout(h);
        if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN)
            return tok_fail(s, e, "C_Logout", rv);
    }
    return SK_OK;
}

int tok_init_user_pin(tok_slot *s, const char *so_pin, const char *user_pin, sk_err *e)
{
    CK_SESSION_HANDLE h;
    CK_RV rv;
    bool so_in = false;
    int ret;

    if ((ret = tok_session(s, &h, e)) != SK_OK)
        return ret;
    if ((ret = logout_if(s, h, CKS_RW_USER_FUNCTIONS, CKS_RO_USER_FUNCTIONS, e)) != SK_OK)
        return ret;
    rv = s->m->f->C_Login(h, CKU_SO, (CK_UTF8CHAR_PTR)so_pin, strlen(so_pin));
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        ret = tok_fail(s, e, "C_Login (SO)", rv);
        goto out;
    }
    so_in = true;
    rv = s->m->f->C_InitPIN(h, (CK_UTF8CHAR_PTR)user_pin, strlen(user_pin));
    if (rv != CKR_OK) {
        ret = tok_fail(s, e, "C_InitPIN", rv);
        goto out;
    }
    ret = SK_OK;
out:
    /* Never leave the SO logged in: a later user login would silently stay SO. */
    if (so_in) {
        rv = s->m->f->C_Logout(h);
        if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN && ret == SK_OK)
            ret = tok_fail(s, e, "C_Logout (SO)", rv);
    }
    return ret;
}

int tok_login_user(tok_slot *s, const char *user_pin, sk_err *e)
{
    CK_TOKEN_INFO ti;
    CK_SESSION_HANDLE h;
    CK_RV rv;
    int ret;

    rv = s->m->f->C_GetTokenInfo(s->id, &ti);
    if (rv != CKR_OK)
        return tok_fail(s, e, "C_GetTokenInfo", rv);
    if (!(ti.flags & CKF_USER_PIN_INITIALIZED))
        return sk_err_set(e, SK_EPIN, "token '%s' (serial %s): user PIN is not initialised",
                          s->label, s->serial);
    if (ti.flags & CKF_USER_PIN_LOCKED)
        return sk_err_set(e, SK_EPIN, "token '%s' (serial %s): user PIN is locked; not trying",
                          s->label, s->serial);
    if (ti.flags & CKF_USER_PIN_FINAL_TRY)
        return sk_err_set(e, SK_EPIN,
                          "token '%s' (serial %s): user PIN is on its final try; refusing to "
                          "risk locking it (unlock it with the SO PIN first)",
                          s->label, s->serial);
    if ((ret = tok_session(s, &h, e)) != SK_OK)
        return ret;
    if ((ret = logout_if(s, h, CKS_RW_SO_FUNCTIONS, CKS_RW_SO_FUNCTIONS, e)) != SK_OK)
        return ret;
    rv = s->m->f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)user_pin, strlen(user_pin));
    if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
        return SK_OK;
    if (rv == CKR_PIN_INCORRECT)
        return sk_err_set(e, SK_EPIN, "token '%s' (serial %s): C_Login: CKR_PIN_INCORRECT (%s)",
                          s->label, s->serial, user_pin_state(s));
    return tok_fail(s, e, "C_Login", rv);
}

int tok_logout(tok_slot *s, sk_err *e)
{
    CK_RV rv;

    if (s->sess == CK_INVALID_HANDLE)
        return SK_OK; /* we never opened a session, so this handle never logged in */
    rv = s->m->f->C_Logout(s->sess);
    if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN)
        return tok_fail(s, e, "C_Logout", rv);
    return SK_OK;
}
