/* SKF token access: a vendor's GM/T 0016 library loaded with dlopen (path from the station
 * config), with what the issuance needs, mirroring pkcs11/tok.h: list and select devices,
 * device authentication, the application with SO and user PIN and their retry counts,
 * containers, the SM2 signing key generated on the device, signatures over SM3(Z || M)
 * (GM/T 0009, default ID "1234567812345678") for CSRs and documents, certificates, files
 * (the seals), the encryption key pair imported as an ENVELOPEDKEYBLOB, device events.
 *
 * Nothing here prints. Errors name the device, the SKF function and the SAR_* code; PIN
 * errors say how many tries are left. Handles form a tree: free containers before their
 * application, applications before their device, devices before the library.
 * docs/skf.md has the station's side. */
#ifndef SK_SKF_H
#define SK_SKF_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "skf/gmt0016.h"
#include "util/sk_err.h"

typedef struct skf_lib skf_lib; /* one loaded SKF library */
typedef struct skf_dev skf_dev; /* one connected device */
typedef struct skf_app skf_app; /* one opened application on a device */
typedef struct skf_con skf_con; /* one opened container in an application */

typedef struct skf_dev_info {
    char name[256];          /* the name SKF_EnumDev gives (the reader or device path) */
    char label[33];
    char serial[33];
    char manufacturer[65];
    char issuer[65];
    unsigned long total_space;
    unsigned long free_space;
    size_t n_apps;           /* applications on the device: 0 means blank */
} skf_dev_info;

typedef struct skf_pin_info {
    unsigned long max_retries;
    unsigned long remaining; /* 0: locked */
    bool is_default;
} skf_pin_info;

enum { SKF_EVENT_NONE = 0, SKF_EVENT_INSERTED = 1, SKF_EVENT_REMOVED = 2 };

/* Load the library at path and resolve every function of gmt0016.h's SKF_FUNCTIONS; a
 * missing one is SK_ETOKEN naming it. */
int skf_lib_open(const char *path, skf_lib **out, sk_err *e);
void skf_lib_free(skf_lib *lib);

/* Every present device with its information (each is connected and disconnected); *out is
 * malloc'd. */
int skf_list_devices(skf_lib *lib, skf_dev_info **out, size_t *n, sk_err *e);

/* Connect to the device matching name and/or serial (NULL: not constrained); both NULL
 * selects the first blank device (no application). SK_ETOKEN when none or several match. */
int skf_select(skf_lib *lib, const char *name, const char *serial, skf_dev **out, sk_err *e);
void skf_dev_free(skf_dev *d);

int skf_dev_get_info(skf_dev *d, skf_dev_info *out, sk_err *e);
int skf_dev_set_label(skf_dev *d, const char *label, sk_err *e);

/* Device authentication (GM/T 0016 8.2.3): SKF_GenRandom(8), SM4-ECB of the zero-padded
 * challenge under key (16 bytes), SKF_DevAuth. Needed before creating or deleting
 * applications. */
int skf_dev_auth(skf_dev *d, const unsigned char *key, size_t key_len, sk_err *e);
int skf_dev_change_auth_key(skf_dev *d, const unsigned char *key, size_t key_len, sk_err *e);

/* Block until a device is inserted or removed: *event SKF_EVENT_INSERTED / _REMOVED and its
 * name in name (cap bytes), or SKF_EVENT_NONE after skf_cancel_wait (from another thread). */
int skf_wait_event(skf_lib *lib, char *name, size_t cap, int *event, sk_err *e);
int skf_cancel_wait(skf_lib *lib, sk_err *e);

/* Create the application (needs skf_dev_auth) with the SO (administrator) and user PINs and
 * their retry counts; files and containers in it need the user PIN to create. */
int skf_app_create(skf_dev *d, const char *name, const char *so_pin, unsigned so_retries,
                   const char *user_pin, unsigned user_retries, skf_app **out, sk_err *e);
int skf_app_open(skf_dev *d, const char *name, skf_app **out, sk_err *e);
void skf_app_free(skf_app *a);
int skf_app_delete(skf_dev *d, const char *name, sk_err *e);
int skf_app_list(skf_dev *d, char ***names, size_t *n, sk_err *e);
void skf_names_free(char **names, size_t n);

int skf_get_pin_info(skf_app *a, bool so, skf_pin_info *out, sk_err *e);

/* Verify the user (or SO) PIN after checking its counter: a locked PIN or one on its final
 * try is refused without trying (SK_EPIN), so one bad setting cannot lock a run of tokens.
 * A wrong PIN is SK_EPIN with the tries left. */
int skf_login_user(skf_app *a, const char *pin, sk_err *e);
int skf_login_so(skf_app *a, const char *pin, sk_err *e);
int skf_logout(skf_app *a, sk_err *e);
int skf_change_pin(skf_app *a, bool so, const char *old_pin, const char *new_pin, sk_err *e);
int skf_unblock_user_pin(skf_app *a, const char *so_pin, const char *new_user_pin, sk_err *e);

/* A file of exactly len bytes, readable by anyone and writable by the user (SKF_CreateFile +
 * SKF_WriteFile); an existing file of that name is SK_ESTATE. */
int skf_file_write(skf_app *a, const char *name, const unsigned char *data, size_t len,
                   sk_err *e);
int skf_file_read(skf_app *a, const char *name, unsigned char **data, size_t *len, sk_err *e);
int skf_file_list(skf_app *a, char ***names, size_t *n, sk_err *e);
int skf_file_delete(skf_app *a, const char *name, sk_err *e);

int skf_con_create(skf_app *a, const char *name, skf_con **out, sk_err *e);
int skf_con_open(skf_app *a, const char *name, skf_con **out, sk_err *e);
void skf_con_free(skf_con *c);
int skf_con_delete(skf_app *a, const char *name, sk_err *e);
int skf_con_list(skf_app *a, char ***names, size_t *n, sk_err *e);

/* SKF_GenECCKeyPair(SGD_SM2_1): the signing key pair, made on the device and never
 * exportable; *pub is its public key (SM2). Needs the user PIN. */
int skf_gen_sign_keypair(skf_con *c, EVP_PKEY **pub, sk_err *e);

/* The signing (sign) or encryption public key of the container. */
int skf_get_public_key(skf_con *c, bool sign, EVP_PKEY **pub, sk_err *e);

/* Sign msg with the container's signing key: e = SM3(Z || msg) with Z over id (NULL: the
 * default ID) and the container's public key, SKF_ECCSignData(e), and the signature checked
 * against the public key before it is returned. *sig is the DER SM2 signature
 * (OPENSSL_malloc'd). */
int skf_sign(skf_con *c, const char *id, const unsigned char *msg, size_t msg_len,
             unsigned char **sig, size_t *sig_len, sk_err *e);

/* Sign a certification request on the device: SM2-with-SM3 over its CertificationRequestInfo
 * with the default ID. The request's public key must be the container's signing key. */
int skf_sign_req(skf_con *c, X509_REQ *req, sk_err *e);

int skf_import_cert(skf_con *c, bool sign, X509 *cert, sk_err *e);
int skf_export_cert(skf_con *c, bool sign, X509 **out, sk_err *e);

/* SKF_ImportECCKeyPair: env (env_len bytes, ECCCipherBlob.Cipher included) is an encryption
 * key pair enveloped to this container's signing key; then the container's encryption
 * public key is read back and compared with env->PubKey. */
int skf_import_enveloped(skf_con *c, const ENVELOPEDKEYBLOB *env, size_t env_len, sk_err *e);

/* The key management centre's side, without a device: envelope the SM2 key pair enc_key
 * to sign_pub (a fresh SM4 key, SM4-ECB of the 64-byte PrivateKey field, the SM4 key
 * SM2-encrypted to sign_pub). *out is OPENSSL_zalloc'd, *out_len bytes; the caller
 * cleanses and frees it (OPENSSL_clear_free). */
int skf_envelope_make(EVP_PKEY *enc_key, EVP_PKEY *sign_pub, ENVELOPEDKEYBLOB **out,
                      size_t *out_len, sk_err *e);

/* Decrypt in (SM4-ECB, PKCS#5 padding) with a session key wrapped (SM2, an ECCCIPHERBLOB of
 * wrapped_len bytes) to the container's encryption key: SKF_ImportSessionKey,
 * SKF_DecryptInit, SKF_Decrypt. Proves the imported encryption key works. *out malloc'd. */
int skf_decrypt_session(skf_con *c, const ECCCIPHERBLOB *wrapped, size_t wrapped_len,
                        const unsigned char *in, size_t in_len, unsigned char **out,
                        size_t *out_len, sk_err *e);

/* Name of a SAR_* code ("SAR_PIN_INCORRECT"), or "SAR_?" for a vendor code. */
const char *skf_sar_name(unsigned long sar);

#endif
