// OpenSSL libcrypto (Debian's libssl-dev): SHA-256 and Ed25519 for bundle digests and signatures.
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/err.h>
#include <openssl/rand.h>
