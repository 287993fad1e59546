// OpenSSL's libcrypto for Swift: only its message-digest (EVP) interface is used, for SHA-256.
#include <openssl/evp.h>
