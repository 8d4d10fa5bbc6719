/* Token access: libp11 for slots, login and OpenSSL keys; the module's raw function list
 * (dlopen + C_GetFunctionList, see ../shared/PKCS11-NOTES.md) for what libp11 0.4.12 lacks:
 * EC key generation with an exact template, minimal certificate templates, data objects.
 *
 * Nothing here prints. Errors name the PKCS#11 function and the CKR_* code, and PIN errors
 * say how many tries the token reports left (low / final try / locked). */
#ifndef SK_TOK_H
#define SK_TOK_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/sk_err.h"
#include "util/sk_keyalg.h"

typedef struct tok_module tok_module; /* one loaded PKCS#11 module */
typedef struct tok_slot tok_slot;     /* one slot with a token, selected from a module */

#define TOK_ID_MAX 64

typedef struct tok_info {
    unsigned long slot_id;
    char label[33];        /* trailing blanks trimmed */
    char serial[17];
    char manufacturer[33];
    char model[17];
    bool initialized;
    bool user_pin_initialized;
    bool user_pin_count_low;
    bool user_pin_final_try;
    bool user_pin_locked;
    bool so_pin_locked;
    unsigned long min_pin_len;
    unsigned long max_pin_len;
    unsigned long free_public_memory;  /* CK_UNAVAILABLE_INFORMATION maps to ULONG_MAX */
    unsigned long free_private_memory;
} tok_info;

typedef struct tok_key_attrs {
    bool local, never_extractable, always_sensitive, sensitive, extractable, is_private;
    /* What the key pair may be used for: private half, then public half. */
    bool sign, sign_recover, decrypt, unwrap, derive;
    bool pub_verify, pub_encrypt, pub_wrap;
} tok_key_attrs;

/* The usages a key pair is made for, as its certificate's keyUsage allows them:
 * digitalSignature / nonRepudiation -> sign (CKA_SIGN, CKA_VERIFY); keyEncipherment ->
 * decrypt and unwrap (CKA_DECRYPT/CKA_UNWRAP, CKA_ENCRYPT/CKA_WRAP), dataEncipherment ->
 * decrypt; keyAgreement -> derive (CKA_DERIVE). Everything not allowed is set false
 * explicitly, since module defaults differ (SoftHSM makes RSA keys that decrypt). */
typedef struct tok_key_usage {
    bool sign, decrypt, unwrap, derive;
} tok_key_usage;

/* Do the attributes read back say: generated on the token, private, sensitive, never
 * extractable, and usable for exactly u? If not, *why (len bytes) says what differs. */
bool tok_key_attrs_ok(const tok_key_attrs *a, const tok_key_usage *u, char *why, size_t len);

/* An object as read back from the token. value is set for certificates (DER) and data
 * objects; NULL for keys. */
typedef struct tok_object {
    unsigned long cls;        /* CKO_* */
    unsigned char id[TOK_ID_MAX];
    size_t id_len;
    char label[256];
    char application[256];    /* CKA_APPLICATION of data objects */
    unsigned long cert_category; /* CKA_CERTIFICATE_CATEGORY of certificates (0 if absent) */
    bool is_private;
    unsigned char *value;
    size_t value_len;
} tok_object;

/* A parsed RFC 7512 PKCS#11 URI. Each has_* flag says whether the attribute was present
 * (an empty value such as "token=" is a real constraint: blank tokens have empty labels).
 *
 * Choices (the RFC leaves them to the consumer):
 * - pin-value is refused: secrets do not go in URIs, which end up in configs and logs.
 *   pin-source is parsed (kept in pin_source) but sealkey takes every PIN from the station
 *   config, so tok_uri_token_only refuses it where a URI only names a token.
 * - Unknown attributes, including vendor "x-" ones, are refused with SK_EINPUT rather than
 *   ignored: a misspelt "tokn=" that is ignored would widen a match to every token.
 * - Every token, slot and library attribute is matched by tok_select (slot-description is
 *   the reader's name with OpenSC; library-* are the module's C_GetInfo).
 * - module-name and module-path must name the module the URI is used with (the station's):
 *   tok_select refuses any other, naming it. A station issues on one module, whose tokens
 *   its ledger accounts for (docs/station.md). */
typedef struct tok_uri {
    bool has_token, has_serial, has_manufacturer, has_model, has_slot_id;
    bool has_object, has_id, has_type;
    bool has_slot_description, has_slot_manufacturer;
    bool has_library_description, has_library_manufacturer, has_library_version;
    char token[33];
    char serial[17];
    char manufacturer[33];
    char model[17];
    unsigned long slot_id;
    char slot_description[65];
    char slot_manufacturer[33];
    char library_description[33];
    char library_manufacturer[33];
    unsigned int library_major, library_minor; /* "M" means M.0 */
    char object[256];
    unsigned char id[TOK_ID_MAX];
    size_t id_len;
    char type[16];           /* "private", "public", "cert", "data", "secret-key" */
    char pin_source[1024];   /* "" if absent */
    char module_path[1024];  /* "" if absent */
    char module_name[256];   /* "" if absent */
} tok_uri;

/* Parse uri (percent-decoding each value). SK_EINPUT names the problem. */
int tok_uri_parse(const char *uri, tok_uri *out, sk_err *e);

/* Percent-encode text for a URI attribute value: everything but RFC 3986 unreserved
 * characters. SK_EINPUT if it does not fit in cap bytes (NUL included). */
int tok_uri_encode(const char *in, char *out, size_t cap, sk_err *e);

/* Refuse (SK_EINPUT, naming the attribute) what a URI that only picks a token cannot honour:
 * object=, id=, type= (they pick objects) and pin-source= (PINs come from the station). */
int tok_uri_token_only(const char *uri, sk_err *e);

/* Load a module named the way station.json names it (docs/station.md): a path (anything with
 * a '/'), a p11-kit module name as `p11-kit list-modules` shows it ("softhsm2",
 * "opensc-pkcs11"; resolved through libp11-kit's configuration), a bare file name for the
 * loader's search path ("libsofthsm2.so", when p11-kit knows no module of that name), or
 * NULL: p11-kit's default, the first module in p11-kit's order (the "priority" of its config,
 * then the name) that is not a trust-policy module. */
int tok_module_open(const char *spec, tok_module **out, sk_err *e);
void tok_module_free(tok_module *m);

/* The file a module spec (as for tok_module_open) names, without loading it for use:
 * p11-kit loads its configured modules to name them, never initialising one. A spec p11-kit
 * does not know is copied as it is. */
int tok_module_resolve(const char *spec, char *path, size_t pathlen, sk_err *e);

/* The p11-kit module names, ", "-separated, for messages. */
int tok_module_names(char *list, size_t cap, sk_err *e);

/* The file the module was loaded from (the spec resolved). */
const char *tok_module_path(const tok_module *m);

/* Do two module files name the same library (same file after links)? */
bool tok_module_same_file(const char *a, const char *b);

/* Finalise and initialise the module again. SoftHSM offers its next blank token only after
 * this; all tok_slot handles from the module must be freed first. */
int tok_module_reload(tok_module *m, sk_err *e);

/* Select a token. uri is an RFC 7512 PKCS#11 URI matched on token, serial, manufacturer,
 * model, slot-id, slot-description, slot-manufacturer and library-*; NULL selects the first
 * slot holding an uninitialised token. SK_ETOKEN names the URI when nothing matches or more
 * than one token does; SK_EINPUT when its module-name or module-path is not module m. */
int tok_select(tok_module *m, const char *uri, tok_slot **out, sk_err *e);
void tok_slot_free(tok_slot *s);

int tok_get_info(tok_slot *s, tok_info *out, sk_err *e);

/* Is this blank token one that every process sees as its own? SoftHSM's free slot (no serial
 * until C_InitToken) makes a new token for whichever process initialises it, so processes
 * need not keep each other from it. Any other blank token without a serial may be one
 * physical token that all processes see, and cannot be claimed by identity. */
bool tok_blank_per_process(const tok_info *info);

/* Every token present in the module's slots (blank ones too), in slot order; *out is
 * malloc'd. No session is opened and no PIN is needed. */
int tok_list_tokens(tok_module *m, tok_info **out, size_t *n, sk_err *e);

/* C_InitToken with label (padded to 32 bytes; longer labels are refused): erases the token.
 * If the slot appeared after the module was loaded (SoftHSM 2.6.1 adds a blank slot as soon
 * as the last one is initialised), libp11's slot list is rebuilt, which in libp11 0.4.12
 * closes every session of the module and frees every EVP_PKEY it handed out: finish with
 * one token (free its keys and tok_slot) before initialising the next. */
int tok_init_token(tok_slot *s, const char *so_pin, const char *label, sk_err *e);

/* Log in as SO, C_InitPIN, log out. */
int tok_init_user_pin(tok_slot *s, const char *so_pin, const char *user_pin, sk_err *e);

/* Log in as user after checking the PIN counters: a locked PIN or one on its final try is
 * refused without trying (SK_EPIN) so one bad setting cannot lock a run of tokens. */
int tok_login_user(tok_slot *s, const char *user_pin, sk_err *e);
int tok_logout(tok_slot *s, sk_err *e);

/* Generate a key pair on the token with C_GenerateKeyPair: CKA_TOKEN, CKA_ID, CKA_LABEL on
 * both halves; private half CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE=FALSE and the usages
 * of *usage, each one set true or false (tok_key_usage). The attributes are read back
 * (tok_key_attrs_ok) and a key that differs is destroyed. Requires a user login. *pub
 * receives the public key read back from the token. */
int tok_generate_keypair_for(tok_slot *s, sk_keyalg alg, const tok_key_usage *usage,
                             const unsigned char *id, size_t id_len, const char *label,
                             EVP_PKEY **pub, sk_err *e);

/* tok_generate_keypair_for a signing key: sign only (no decrypt, unwrap or derive). */
int tok_generate_keypair(tok_slot *s, sk_keyalg alg, const unsigned char *id, size_t id_len,
                         const char *label, EVP_PKEY **pub, sk_err *e);

/* The public key of the key pair with this CKA_ID, as an OpenSSL key. */
int tok_get_public_key(tok_slot *s, const unsigned char *id, size_t id_len, EVP_PKEY **pub,
                       sk_err *e);

/* The private key with this CKA_ID as an EVP_PKEY that X509_REQ_sign / X509_sign use
 * directly (the signature is made on the token). Free it before the slot. */
int tok_get_private_key(tok_slot *s, const unsigned char *id, size_t id_len, EVP_PKEY **priv,
                        sk_err *e);

/* The private key named by an RFC 7512 URI (object= and/or id=) on this slot. */
int tok_get_private_key_by_uri(tok_slot *s, const char *uri, EVP_PKEY **priv, sk_err *e);

int tok_get_key_attrs(tok_slot *s, const unsigned char *id, size_t id_len, tok_key_attrs *out,
                      sk_err *e);

/* Store a certificate with a minimal C_CreateObject template (CKA_CLASS, CKA_CERTIFICATE_TYPE,
 * CKA_TOKEN, CKA_ID, CKA_LABEL, CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER, CKA_VALUE,
 * CKA_CERTIFICATE_CATEGORY: 1 user or 2 authority). Requires a user login. */
int tok_write_cert(tok_slot *s, X509 *cert, const unsigned char *id, size_t id_len,
                   const char *label, bool authority, sk_err *e);

/* Store a CKO_DATA object (public unless is_private) with CKA_APPLICATION, CKA_LABEL and
 * CKA_VALUE. id is NOT stored: PKCS#11 defines no CKA_ID for data objects, and SoftHSM 2.6.1
 * refuses it and leaves an empty object behind. Link data objects to a key through the
 * label or application (e.g. the key ID in hex); tok_destroy_by_id does not reach them. */
int tok_write_data(tok_slot *s, const char *application, const char *label,
                   const unsigned char *id, size_t id_len, const unsigned char *value,
                   size_t value_len, bool is_private, sk_err *e);

/* Every object visible in the current session state. */
int tok_list_objects(tok_slot *s, tok_object **objs, size_t *n, sk_err *e);
void tok_objects_free(tok_object *objs, size_t n);

/* Destroy every object with this CKA_ID (for reconciling an interrupted issuance). */
int tok_destroy_by_id(tok_slot *s, const unsigned char *id, size_t id_len, sk_err *e);

/* Name of a CKR_* value ("CKR_PIN_INCORRECT"). */
const char *tok_rv_name(unsigned long rv);

#endif
