/* GM/T 0016-2012 "Smart token cryptography application interface specification" (SKF):
 * the types, structures, codes and functions sealkey uses, as the standard defines them, so
 * that any vendor's SKF library (and tests/skfsoft/) loads with no change to sealkey.
 *
 * Faithful to the standard, not to any one vendor header:
 * - ULONG, DWORD, UINT32 are 32-bit unsigned (6.2), BOOL a 32-bit signed integer. Some vendor
 *   headers for LP64 Linux typedef ULONG as "unsigned long" (64-bit); such a library is not
 *   ABI-compatible with the standard and is not supported (docs/skf.md).
 * - Structures are packed to 1 byte (#pragma pack(1)), as the standard's reference header is.
 * - DEVINFO has MaxECCBufferSize and MaxBufferSize (6.4.2; 294 bytes).
 * - Coordinates and scalars are big-endian, right-aligned in their 64-byte fields: a 256-bit
 *   SM2 value takes the last 32 bytes, the first 32 are zero.
 * - DEVAPI is __stdcall on Windows and empty elsewhere.
 * Layouts are checked against the standard's sizes and offsets in skf/gmt0016_check.c.
 *
 * The function list is one X-macro (SKF_FUNCTIONS) so the prototypes here and the function
 * pointer table of skf/skf_lib.c cannot drift apart. */
#ifndef SK_GMT0016_H
#define SK_GMT0016_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 6.2 basic types */
typedef int8_t INT8;
typedef int16_t INT16;
typedef int32_t INT32;
typedef uint8_t UINT8;
typedef uint16_t UINT16;
typedef uint32_t UINT32;
typedef INT32 BOOL;
typedef UINT8 BYTE;
typedef char CHAR;
typedef INT16 SHORT;
typedef UINT16 USHORT;
typedef INT32 LONG;
typedef UINT32 ULONG;
typedef UINT32 UINT;
typedef UINT16 WORD;
typedef UINT32 DWORD;
typedef UINT32 FLAGS;
typedef CHAR *LPSTR;
typedef void *HANDLE;
typedef HANDLE DEVHANDLE;
typedef HANDLE HAPPLICATION;
typedef HANDLE HCONTAINER;

/* 6.3 constants */
#ifndef TRUE
#define TRUE 0x00000001
#endif
#ifndef FALSE
#define FALSE 0x00000000
#endif
#ifndef DEVAPI
#ifdef _WIN32
#define DEVAPI __stdcall
#else
#define DEVAPI
#endif
#endif
#define ADMIN_TYPE 0
#define USER_TYPE 1

/* 6.1.1 block cipher algorithm ids (the standard's SMS4 is SM4; both names given) */
#define SGD_SM1_ECB 0x00000101
#define SGD_SM1_CBC 0x00000102
#define SGD_SM1_CFB 0x00000104
#define SGD_SM1_OFB 0x00000108
#define SGD_SM1_MAC 0x00000110
#define SGD_SSF33_ECB 0x00000201
#define SGD_SSF33_CBC 0x00000202
#define SGD_SSF33_CFB 0x00000204
#define SGD_SSF33_OFB 0x00000208
#define SGD_SSF33_MAC 0x00000210
#define SGD_SMS4_ECB 0x00000401
#define SGD_SMS4_CBC 0x00000402
#define SGD_SMS4_CFB 0x00000404
#define SGD_SMS4_OFB 0x00000408
#define SGD_SMS4_MAC 0x00000410
#define SGD_SM4_ECB SGD_SMS4_ECB
#define SGD_SM4_CBC SGD_SMS4_CBC
/* 6.1.2 asymmetric algorithm ids */
#define SGD_RSA 0x00010000
#define SGD_SM2_1 0x00020100 /* SM2 signature */
#define SGD_SM2_2 0x00020200 /* SM2 key exchange */
#define SGD_SM2_3 0x00020400 /* SM2 encryption */
/* 6.1.3 hash algorithm ids */
#define SGD_SM3 0x00000001
#define SGD_SHA1 0x00000002
#define SGD_SHA256 0x00000004

#define MAX_RSA_MODULUS_LEN 256
#define MAX_RSA_EXPONENT_LEN 4
#define ECC_MAX_XCOORDINATE_BITS_LEN 512
#define ECC_MAX_YCOORDINATE_BITS_LEN 512
#define ECC_MAX_MODULUS_BITS_LEN 512
#define MAX_IV_LEN 32

#pragma pack(push, 1)

/* 6.4.1 */
typedef struct Struct_Version {
    BYTE major;
    BYTE minor;
} VERSION;

/* 6.4.2 */
typedef struct Struct_DEVINFO {
    VERSION Version;
    CHAR Manufacturer[64];
    CHAR Issuer[64];
    CHAR Label[32];
    CHAR SerialNumber[32];
    VERSION HWVersion;
    VERSION FirmwareVersion;
    ULONG AlgSymCap;
    ULONG AlgAsymCap;
    ULONG AlgHashCap;
    ULONG DevAuthAlgId;
    ULONG TotalSpace;
    ULONG FreeSpace;
    ULONG MaxECCBufferSize;
    ULONG MaxBufferSize;
    BYTE Reserved[64];
} DEVINFO, *PDEVINFO;

/* 6.4.3, 6.4.4 (declared for completeness; sealkey uses SM2 only) */
typedef struct Struct_RSAPUBLICKEYBLOB {
    ULONG AlgID;
    ULONG BitLen;
    BYTE Modulus[MAX_RSA_MODULUS_LEN];
    BYTE PublicExponent[MAX_RSA_EXPONENT_LEN];
} RSAPUBLICKEYBLOB, *PRSAPUBLICKEYBLOB;

/* 6.4.5 */
typedef struct Struct_ECCPUBLICKEYBLOB {
    ULONG BitLen;
    BYTE XCoordinate[ECC_MAX_XCOORDINATE_BITS_LEN / 8];
    BYTE YCoordinate[ECC_MAX_YCOORDINATE_BITS_LEN / 8];
} ECCPUBLICKEYBLOB, *PECCPUBLICKEYBLOB;

/* 6.4.6 */
typedef struct Struct_ECCPRIVATEKEYBLOB {
    ULONG BitLen;
    BYTE PrivateKey[ECC_MAX_MODULUS_BITS_LEN / 8];
} ECCPRIVATEKEYBLOB, *PECCPRIVATEKEYBLOB;

/* 6.4.7: SM2 ciphertext C1 (X, Y), C3 (HASH) and C2 (Cipher, CipherLen bytes: the structure
 * is allocated with CipherLen - 1 bytes more than sizeof). */
typedef struct Struct_ECCCIPHERBLOB {
    BYTE XCoordinate[ECC_MAX_XCOORDINATE_BITS_LEN / 8];
    BYTE YCoordinate[ECC_MAX_XCOORDINATE_BITS_LEN / 8];
    BYTE HASH[32];
    ULONG CipherLen;
    BYTE Cipher[1];
} ECCCIPHERBLOB, *PECCCIPHERBLOB;

/* 6.4.8 */
typedef struct Struct_ECCSIGNATUREBLOB {
    BYTE r[ECC_MAX_XCOORDINATE_BITS_LEN / 8];
    BYTE s[ECC_MAX_XCOORDINATE_BITS_LEN / 8];
} ECCSIGNATUREBLOB, *PECCSIGNATUREBLOB;

/* 6.4.9 */
typedef struct Struct_BLOCKCIPHERPARAM {
    BYTE IV[MAX_IV_LEN];
    ULONG IVLen;
    ULONG PaddingType; /* 0 none, 1 PKCS#5 */
    ULONG FeedBitLen;
} BLOCKCIPHERPARAM, *PBLOCKCIPHERPARAM;

/* 6.4.10: an encryption key pair protected for import. cbEncryptedPriKey is the 64-byte
 * PrivateKey field of an ECCPRIVATEKEYBLOB encrypted with ulSymmAlgID (ECB only) under a
 * symmetric key that ECCCipherBlob carries, SM2-encrypted to the container's signing key.
 * ECCCipherBlob is last, so the whole blob is allocated with CipherLen - 1 bytes more. */
typedef struct SKF_ENVELOPEDKEYBLOB {
    ULONG Version; /* 1 */
    ULONG ulSymmAlgID;
    ULONG ulBits;
    BYTE cbEncryptedPriKey[64];
    ECCPUBLICKEYBLOB PubKey;
    ECCCIPHERBLOB ECCCipherBlob;
} ENVELOPEDKEYBLOB, *PENVELOPEDKEYBLOB;

/* 6.4.11 */
typedef struct Struct_FILEATTRIBUTE {
    CHAR FileName[32];
    ULONG FileSize;
    ULONG ReadRights;
    ULONG WriteRights;
} FILEATTRIBUTE, *PFILEATTRIBUTE;

#pragma pack(pop)

/* 6.4.12 access rights */
#define SECURE_NEVER_ACCOUNT 0x00000000
#define SECURE_ADM_ACCOUNT 0x00000001
#define SECURE_USER_ACCOUNT 0x00000010
#define SECURE_ANYONE_ACCOUNT 0x000000FF

/* 6.4.13 device state */
#define DEV_ABSENT_STATE 0x00000000
#define DEV_PRESENT_STATE 0x00000001
#define DEV_UNKNOW_STATE 0x00000002

/* 7.1.2 SKF_WaitForDevEvent event types */
#define SKF_DEV_EVENT_INSERTED 1
#define SKF_DEV_EVENT_REMOVED 2

/* Appendix A error codes */
#define SAR_OK 0x00000000
#define SAR_FAIL 0x0A000001
#define SAR_UNKNOWNERR 0x0A000002
#define SAR_NOTSUPPORTYETERR 0x0A000003
#define SAR_FILEERR 0x0A000004
#define SAR_INVALIDHANDLEERR 0x0A000005
#define SAR_INVALIDPARAMERR 0x0A000006
#define SAR_READFILEERR 0x0A000007
#define SAR_WRITEFILEERR 0x0A000008
#define SAR_NAMELENERR 0x0A000009
#define SAR_KEYUSAGEERR 0x0A00000A
#define SAR_MODULUSLENERR 0x0A00000B
#define SAR_NOTINITIALIZEERR 0x0A00000C
#define SAR_OBJERR 0x0A00000D
#define SAR_MEMORYERR 0x0A00000E
#define SAR_TIMEOUTERR 0x0A00000F
#define SAR_INDATALENERR 0x0A000010
#define SAR_INDATAERR 0x0A000011
#define SAR_GENRANDERR 0x0A000012
#define SAR_HASHOBJERR 0x0A000013
#define SAR_HASHERR 0x0A000014
#define SAR_GENRSAKEYERR 0x0A000015
#define SAR_RSAMODULUSLENERR 0x0A000016
#define SAR_CSPIMPRTPUBKEYERR 0x0A000017
#define SAR_RSAENCERR 0x0A000018
#define SAR_RSADECERR 0x0A000019
#define SAR_HASHNOTEQUALERR 0x0A00001A
#define SAR_KEYNOTFOUNTERR 0x0A00001B
#define SAR_CERTNOTFOUNTERR 0x0A00001C
#define SAR_NOTEXPORTERR 0x0A00001D
#define SAR_DECRYPTPADERR 0x0A00001E
#define SAR_MACLENERR 0x0A00001F
#define SAR_BUFFER_TOO_SMALL 0x0A000020
#define SAR_KEYINFOTYPEERR 0x0A000021
#define SAR_NOT_EVENTERR 0x0A000022
#define SAR_DEVICE_REMOVED 0x0A000023
#define SAR_PIN_INCORRECT 0x0A000024
#define SAR_PIN_LOCKED 0x0A000025
#define SAR_PIN_INVALID 0x0A000026
#define SAR_PIN_LEN_RANGE 0x0A000027
#define SAR_USER_ALREADY_LOGGED_IN 0x0A000028
#define SAR_USER_PIN_NOT_INITIALIZED 0x0A000029
#define SAR_USER_TYPE_INVALID 0x0A00002A
#define SAR_APPLICATION_NAME_INVALID 0x0A00002B
#define SAR_APPLICATION_EXISTS 0x0A00002C
#define SAR_USER_NOT_LOGGED_IN 0x0A00002D
#define SAR_APPLICATION_NOT_EXISTS 0x0A00002E
#define SAR_FILE_ALREADY_EXIST 0x0A00002F
#define SAR_NO_ROOM 0x0A000030
#define SAR_FILE_NOT_EXIST 0x0A000031
#define SAR_REACH_MAX_CONTAINER_COUNT 0x0A000032

/* The functions sealkey uses (chapter 7), X(name, parameter list). */
#define SKF_FUNCTIONS(X)                                                                     \
    X(SKF_WaitForDevEvent, (LPSTR szDevName, ULONG *pulDevNameLen, ULONG *pulEvent))         \
    X(SKF_CancelWaitForDevEvent, (void))                                                     \
    X(SKF_EnumDev, (BOOL bPresent, LPSTR szNameList, ULONG *pulSize))                        \
    X(SKF_ConnectDev, (LPSTR szName, DEVHANDLE *phDev))                                      \
    X(SKF_DisConnectDev, (DEVHANDLE hDev))                                                   \
    X(SKF_GetDevState, (LPSTR szDevName, ULONG *pulDevState))                                \
    X(SKF_SetLabel, (DEVHANDLE hDev, LPSTR szLabel))                                         \
    X(SKF_GetDevInfo, (DEVHANDLE hDev, DEVINFO *pDevInfo))                                   \
    X(SKF_ChangeDevAuthKey, (DEVHANDLE hDev, BYTE *pbKeyValue, ULONG ulKeyLen))              \
    X(SKF_DevAuth, (DEVHANDLE hDev, BYTE *pbAuthData, ULONG ulLen))                          \
    X(SKF_ChangePIN, (HAPPLICATION hApplication, ULONG ulPINType, LPSTR szOldPin,            \
                      LPSTR szNewPin, ULONG *pulRetryCount))                                 \
    X(SKF_GetPINInfo, (HAPPLICATION hApplication, ULONG ulPINType, ULONG *pulMaxRetryCount,  \
                       ULONG *pulRemainRetryCount, BOOL *pbDefaultPin))                      \
    X(SKF_VerifyPIN, (HAPPLICATION hApplication, ULONG ulPINType, LPSTR szPIN,               \
                      ULONG *pulRetryCount))                                                 \
    X(SKF_UnblockPIN, (HAPPLICATION hApplication, LPSTR szAdminPIN, LPSTR szNewUserPIN,      \
                       ULONG *pulRetryCount))                                                \
    X(SKF_ClearSecureState, (HAPPLICATION hApplication))                                     \
    X(SKF_CreateApplication, (DEVHANDLE hDev, LPSTR szAppName, LPSTR szAdminPin,             \
                              DWORD dwAdminPinRetryCount, LPSTR szUserPin,                   \
                              DWORD dwUserPinRetryCount, DWORD dwCreateFileRights,           \
                              HAPPLICATION *phApplication))                                  \
    X(SKF_EnumApplication, (DEVHANDLE hDev, LPSTR szAppName, ULONG *pulSize))                \
    X(SKF_DeleteApplication, (DEVHANDLE hDev, LPSTR szAppName))                              \
    X(SKF_OpenApplication, (DEVHANDLE hDev, LPSTR szAppName, HAPPLICATION *phApplication))   \
    X(SKF_CloseApplication, (HAPPLICATION hApplication))                                     \
    X(SKF_CreateFile, (HAPPLICATION hApplication, LPSTR szFileName, ULONG ulFileSize,        \
                       ULONG ulReadRights, ULONG ulWriteRights))                             \
    X(SKF_DeleteFile, (HAPPLICATION hApplication, LPSTR szFileName))                         \
    X(SKF_EnumFiles, (HAPPLICATION hApplication, LPSTR szFileList, ULONG *pulSize))          \
    X(SKF_GetFileInfo, (HAPPLICATION hApplication, LPSTR szFileName,                         \
                        FILEATTRIBUTE *pFileInfo))                                           \
    X(SKF_ReadFile, (HAPPLICATION hApplication, LPSTR szFileName, ULONG ulOffset,            \
                     ULONG ulSize, BYTE *pbOutData, ULONG *pulOutLen))                       \
    X(SKF_WriteFile, (HAPPLICATION hApplication, LPSTR szFileName, ULONG ulOffset,           \
                      BYTE *pbData, ULONG ulSize))                                           \
    X(SKF_CreateContainer, (HAPPLICATION hApplication, LPSTR szContainerName,                \
                            HCONTAINER *phContainer))                                        \
    X(SKF_DeleteContainer, (HAPPLICATION hApplication, LPSTR szContainerName))               \
    X(SKF_OpenContainer, (HAPPLICATION hApplication, LPSTR szContainerName,                  \
                          HCONTAINER *phContainer))                                          \
    X(SKF_CloseContainer, (HCONTAINER hContainer))                                           \
    X(SKF_EnumContainer, (HAPPLICATION hApplication, LPSTR szContainerName, ULONG *pulSize)) \
    X(SKF_GetContainerType, (HCONTAINER hContainer, ULONG *pulContainerType))                \
    X(SKF_ImportCertificate, (HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbCert,           \
                              ULONG ulCertLen))                                              \
    X(SKF_ExportCertificate, (HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbCert,           \
                              ULONG *pulCertLen))                                            \
    X(SKF_GenRandom, (DEVHANDLE hDev, BYTE *pbRandom, ULONG ulRandomLen))                    \
    X(SKF_GenECCKeyPair, (HCONTAINER hContainer, ULONG ulAlgId, ECCPUBLICKEYBLOB *pBlob))    \
    X(SKF_ImportECCKeyPair, (HCONTAINER hContainer, PENVELOPEDKEYBLOB pEnvelopedKeyBlob))    \
    X(SKF_ECCSignData, (HCONTAINER hContainer, BYTE *pbData, ULONG ulDataLen,                \
                        PECCSIGNATUREBLOB pSignature))                                       \
    X(SKF_ECCVerify, (DEVHANDLE hDev, ECCPUBLICKEYBLOB *pECCPubKeyBlob, BYTE *pbData,        \
                      ULONG ulDataLen, PECCSIGNATUREBLOB pSignature))                        \
    X(SKF_ExtECCVerify, (DEVHANDLE hDev, ECCPUBLICKEYBLOB *pECCPubKeyBlob, BYTE *pbData,     \
                         ULONG ulDataLen, PECCSIGNATUREBLOB pSignature))                     \
    X(SKF_ExportPublicKey, (HCONTAINER hContainer, BOOL bSignFlag, BYTE *pbBlob,             \
                            ULONG *pulBlobLen))                                              \
    X(SKF_ImportSessionKey, (HCONTAINER hContainer, ULONG ulAlgId, BYTE *pbWrapedData,       \
                             ULONG ulWrapedLen, HANDLE *phKey))                              \
    X(SKF_DecryptInit, (HANDLE hKey, BLOCKCIPHERPARAM DecryptParam))                         \
    X(SKF_Decrypt, (HANDLE hKey, BYTE *pbEncryptedData, ULONG ulEncryptedLen, BYTE *pbData,  \
                    ULONG *pulDataLen))                                                      \
    X(SKF_CloseHandle, (HANDLE hHandle))

#define SKF_PROTOTYPE_(name, params) ULONG DEVAPI name params;
SKF_FUNCTIONS(SKF_PROTOTYPE_)
#undef SKF_PROTOTYPE_

#ifdef __cplusplus
}
#endif

#endif
