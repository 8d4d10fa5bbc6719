/* placeholder so the layer's library has a source until its code lands */
typedef int sk_placeholder_pkcs11;
