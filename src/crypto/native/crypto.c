// typetls_crypto: AEAD record protection on the OpenSSL that Node itself links, with one cipher
// context per key and direction that is only re-IVed per record, sealing into the caller's buffer.
//
// node:crypto makes a new cipher (key schedule, GHASH tables) and three or four new Buffers for every
// record; node:tls's own record layer keeps one EVP_CIPHER_CTX per direction and encrypts into its
// buffers. This addon gives the typetls node provider (src/crypto/node.ts) the same shape:
//
//   create(algorithm, key)                                   -> context (0 AES-128-GCM, 1 AES-256-GCM, 2 ChaCha20-Poly1305)
//   seal(context, nonce, aad, plaintext, suffix|null, out, offset)   writes ciphertext || tag at out[offset..]
//   open(context, nonce, aad, ciphertext || tag, out)        -> true, plaintext in out; false when the tag fails
//
// and the two handshake primitives where node:crypto's per-call objects cost more than the work itself
// (a TLS 1.3 handshake runs some twenty HMACs and two X25519 scalar multiplications per side):
//
//   hmac(hash, key, data, out)          HMAC (0 SHA-256, 1 SHA-384, 2 SHA-512, 3 SHA-1, 4 MD5) into out
//   hash(hash, data, out)               a digest in one call
//   hashCreate(hash) -> context; hashUpdate(context, data); hashDigest(context, out) (the running
//   state goes on); hashClone(context) -> context    the handshake transcript (a node:crypto Hash
//                                          makes a new Hash object and a Buffer per digest)
//   x25519Key(scalar, publicOut)        -> key; X25519(scalar, 9) in publicOut (RFC 7748 Section 6.1)
//   x25519Derive(key, peer, out)        -> true, X25519(scalar, peer) in out; false when OpenSSL refuses
//                                          (a low-order peer point)
//
// Every length is checked here too: a wrong nonce, key or output size throws a TypeError/RangeError and
// touches no memory. The key is cleared from the contexts when the context object is collected.

#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <string.h>

#define TAG_LENGTH 16
#define NONCE_LENGTH 12

typedef struct {
  const EVP_CIPHER *cipher;
  unsigned char key[32];
  size_t key_length;
  EVP_CIPHER_CTX *seal_ctx; /* made on first use, keyed once */
  EVP_CIPHER_CTX *open_ctx;
} aead_context;

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_context *c = (aead_context *)data;
  if (c->seal_ctx) EVP_CIPHER_CTX_free(c->seal_ctx);
  if (c->open_ctx) EVP_CIPHER_CTX_free(c->open_ctx);
  OPENSSL_cleanse(c->key, sizeof c->key);
  free(c);
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/** The bytes of a Uint8Array (or Buffer) argument; false after throwing when it is not one. */
static int bytes_arg(napi_env env, napi_value v, unsigned char **data, size_t *length) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return 0;
  }
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, length, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return 0;
  }
  /* A zero-length view may have no backing store: give EVP a valid pointer. */
  static unsigned char empty[1];
  *data = p != NULL ? (unsigned char *)p : empty;
  return 1;
}

static aead_context *context_arg(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected an AEAD context");
    return NULL;
  }
  return (aead_context *)data;
}

static napi_value create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_type(env, "create(algorithm, key)");
  uint32_t algorithm = 0;
  if (napi_get_value_uint32(env, argv[0], &algorithm) != napi_ok) return throw_type(env, "algorithm must be 0, 1 or 2");
  unsigned char *key;
  size_t key_length;
  if (!bytes_arg(env, argv[1], &key, &key_length)) return NULL;
  const EVP_CIPHER *cipher;
  size_t want;
  switch (algorithm) {
    case 0: cipher = EVP_aes_128_gcm(); want = 16; break;
    case 1: cipher = EVP_aes_256_gcm(); want = 32; break;
    case 2: cipher = EVP_chacha20_poly1305(); want = 32; break;
    default: return throw_type(env, "algorithm must be 0, 1 or 2");
  }
  if (cipher == NULL) return throw_type(env, "cipher not available in this OpenSSL");
  if (key_length != want) {
    napi_throw_range_error(env, NULL, "wrong key length for the algorithm");
    return NULL;
  }
  aead_context *c = (aead_context *)calloc(1, sizeof *c);
  if (c == NULL) return throw_type(env, "out of memory");
  c->cipher = cipher;
  memcpy(c->key, key, key_length);
  c->key_length = key_length;
  napi_value external;
  if (napi_create_external(env, c, finalize, NULL, &external) != napi_ok) {
    finalize(env, c, NULL);
    return throw_type(env, "could not create the context");
  }
  return external;
}

/** The context's cipher context for one direction, keyed on first use; NULL on an OpenSSL failure. */
static EVP_CIPHER_CTX *direction(aead_context *c, int encrypt) {
  EVP_CIPHER_CTX **slot = encrypt ? &c->seal_ctx : &c->open_ctx;
  if (*slot != NULL) return *slot;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  /* Both GCM and ChaCha20-Poly1305 take a 12-byte nonce by default (RFC 5116, RFC 8439). */
  if (EVP_CipherInit_ex(ctx, c->cipher, NULL, c->key, NULL, encrypt) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  *slot = ctx;
  return ctx;
}

static napi_value seal(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) return throw_type(env, "seal(context, nonce, aad, plaintext, suffix, out, offset)");
  aead_context *c = context_arg(env, argv[0]);
  if (c == NULL) return NULL;
  unsigned char *nonce, *aad, *plaintext, *suffix = NULL, *out;
  size_t nonce_length, aad_length, plaintext_length, suffix_length = 0, out_length;
  if (!bytes_arg(env, argv[1], &nonce, &nonce_length) || !bytes_arg(env, argv[2], &aad, &aad_length) ||
      !bytes_arg(env, argv[3], &plaintext, &plaintext_length)) return NULL;
  napi_valuetype suffix_type;
  napi_typeof(env, argv[4], &suffix_type);
  if (suffix_type != napi_undefined && suffix_type != napi_null && !bytes_arg(env, argv[4], &suffix, &suffix_length)) return NULL;
  if (!bytes_arg(env, argv[5], &out, &out_length)) return NULL;
  uint32_t offset;
  if (napi_get_value_uint32(env, argv[6], &offset) != napi_ok) return throw_type(env, "offset must be a number");
  if (nonce_length != NONCE_LENGTH) {
    napi_throw_range_error(env, NULL, "the nonce must be 12 bytes");
    return NULL;
  }
  size_t sealed = plaintext_length + suffix_length + TAG_LENGTH;
  if (offset > out_length || out_length - offset < sealed || plaintext_length > 0x7fffffff || aad_length > 0x7fffffff) {
    napi_throw_range_error(env, NULL, "the output is too small for ciphertext and tag");
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = direction(c, 1);
  int n = 0;
  unsigned char *at = out + offset;
  if (ctx == NULL || EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
      (aad_length > 0 && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_length) != 1) ||
      (plaintext_length > 0 && EVP_EncryptUpdate(ctx, at, &n, plaintext, (int)plaintext_length) != 1)) goto failed;
  at += plaintext_length > 0 ? n : 0;
  if (suffix_length > 0) {
    if (EVP_EncryptUpdate(ctx, at, &n, suffix, (int)suffix_length) != 1) goto failed;
    at += n;
  }
  if (EVP_EncryptFinal_ex(ctx, at, &n) != 1) goto failed;
  at += n;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, at) != 1) goto failed;
  return NULL;
failed:
  napi_throw_error(env, "ERR_TLS_INTERNAL", "AEAD seal failed in OpenSSL");
  return NULL;
}

static napi_value open_(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) return throw_type(env, "open(context, nonce, aad, ciphertext, out)");
  aead_context *c = context_arg(env, argv[0]);
  if (c == NULL) return NULL;
  unsigned char *nonce, *aad, *ciphertext, *out;
  size_t nonce_length, aad_length, ciphertext_length, out_length;
  if (!bytes_arg(env, argv[1], &nonce, &nonce_length) || !bytes_arg(env, argv[2], &aad, &aad_length) ||
      !bytes_arg(env, argv[3], &ciphertext, &ciphertext_length) || !bytes_arg(env, argv[4], &out, &out_length)) return NULL;
  if (nonce_length != NONCE_LENGTH) {
    napi_throw_range_error(env, NULL, "the nonce must be 12 bytes");
    return NULL;
  }
  if (ciphertext_length < TAG_LENGTH || out_length != ciphertext_length - TAG_LENGTH || out_length > 0x7fffffff || aad_length > 0x7fffffff) {
    napi_throw_range_error(env, NULL, "the output must be the ciphertext's length less the tag");
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = direction(c, 0);
  int n = 0, ok = 0;
  size_t body = ciphertext_length - TAG_LENGTH;
  if (ctx != NULL && EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, ciphertext + body) == 1 &&
      (aad_length == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_length) == 1) &&
      (body == 0 || EVP_DecryptUpdate(ctx, out, &n, ciphertext, (int)body) == 1)) {
    int tail = 0;
    ok = EVP_DecryptFinal_ex(ctx, out + (body > 0 ? n : 0), &tail) == 1;
  }
  /* A forged record's plaintext never leaves this function. */
  if (!ok && out_length > 0) OPENSSL_cleanse(out, out_length);
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

/*
 * The digests, fetched from the default provider once per process. OpenSSL 3's one-shot HMAC()
 * fetches the MAC and the digest by name on every call (a locked lookup that cost more than the
 * SHA-256 blocks of a handshake HMAC); a fetched EVP_MD is used as it is.
 */
static EVP_MD *fetched_digests[5];
static pthread_once_t digests_once = PTHREAD_ONCE_INIT;
static void fetch_digests(void) {
  static const char *const names[5] = {"SHA2-256", "SHA2-384", "SHA2-512", "SHA1", "MD5"};
  for (int i = 0; i < 5; i++) fetched_digests[i] = EVP_MD_fetch(NULL, names[i], NULL);
}

static int digest_parts(EVP_MD_CTX *ctx, const EVP_MD *md, const unsigned char *a, size_t a_length,
                        const unsigned char *b, size_t b_length, unsigned char *out, unsigned int *out_length) {
  return EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, a, a_length) == 1 &&
         EVP_DigestUpdate(ctx, b, b_length) == 1 && EVP_DigestFinal_ex(ctx, out, out_length) == 1;
}

/* RFC 2104: H((K ^ opad) || H((K ^ ipad) || text)), K hashed first when longer than a block. */
static int hmac_fetched(const EVP_MD *md, const unsigned char *key, size_t key_length, const unsigned char *data,
                        size_t data_length, unsigned char *out, unsigned int *out_length) {
  int block = EVP_MD_get_block_size(md);
  unsigned char k[128], pad[128], inner[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  int ok = 0;
  if (block <= 0 || block > (int)sizeof k) return 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (ctx == NULL) return 0;
  size_t k_length = key_length;
  if (key_length > (size_t)block) {
    if (!digest_parts(ctx, md, key, key_length, NULL, 0, k, &n)) goto done;
    k_length = n;
  } else if (key_length > 0) {
    memcpy(k, key, key_length);
  }
  memset(k + k_length, 0, (size_t)block - k_length);
  for (int i = 0; i < block; i++) pad[i] = k[i] ^ 0x36;
  if (!digest_parts(ctx, md, pad, (size_t)block, data, data_length, inner, &n)) goto done;
  for (int i = 0; i < block; i++) pad[i] = k[i] ^ 0x5c;
  if (!digest_parts(ctx, md, pad, (size_t)block, inner, n, out, out_length)) goto done;
  ok = 1;
done:
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(inner, sizeof inner);
  EVP_MD_CTX_free(ctx);
  return ok;
}

static napi_value hmac(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return throw_type(env, "hmac(hash, key, data, out)");
  uint32_t which = 0;
  if (napi_get_value_uint32(env, argv[0], &which) != napi_ok || which > 4) return throw_type(env, "hash must be 0 to 4");
  pthread_once(&digests_once, fetch_digests);
  const EVP_MD *md = fetched_digests[which];
  unsigned char *key, *data, *out;
  size_t key_length, data_length, out_length;
  if (!bytes_arg(env, argv[1], &key, &key_length) || !bytes_arg(env, argv[2], &data, &data_length) ||
      !bytes_arg(env, argv[3], &out, &out_length)) return NULL;
  if (md == NULL || out_length != (size_t)EVP_MD_get_size(md) || key_length > 0x7fffffff) {
    napi_throw_range_error(env, NULL, md == NULL ? "the digest is not available" : "the output must be the digest's length");
    return NULL;
  }
  unsigned int n = 0;
  if (!hmac_fetched(md, key, key_length, data, data_length, out, &n) || n != out_length) {
    OPENSSL_cleanse(out, out_length);
    napi_throw_error(env, "ERR_TLS_INTERNAL", "HMAC failed in OpenSSL");
  }
  return NULL;
}

/* Transcript hashing: a running EVP_MD_CTX per transcript, digested through a copy. */

static void free_md_ctx(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  EVP_MD_CTX_free((EVP_MD_CTX *)data);
}

/** A new context wrapped for JavaScript: a fresh one for `md`, or a copy of `from`. */
static napi_value new_md_ctx(napi_env env, const EVP_MD *md, const EVP_MD_CTX *from) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx != NULL && (from != NULL ? EVP_MD_CTX_copy_ex(ctx, from) : EVP_DigestInit_ex(ctx, md, NULL)) == 1;
  napi_value external;
  if (!ok || napi_create_external(env, ctx, free_md_ctx, NULL, &external) != napi_ok) {
    EVP_MD_CTX_free(ctx);
    napi_throw_error(env, "ERR_TLS_INTERNAL", "could not make a digest context");
    return NULL;
  }
  return external;
}

static EVP_MD_CTX *md_ctx_arg(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external || napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a hash context");
    return NULL;
  }
  return (EVP_MD_CTX *)data;
}

static const EVP_MD *digest_arg(napi_env env, napi_value v) {
  uint32_t which = 0;
  if (napi_get_value_uint32(env, v, &which) != napi_ok || which > 4) {
    napi_throw_type_error(env, NULL, "hash must be 0 to 4");
    return NULL;
  }
  pthread_once(&digests_once, fetch_digests);
  if (fetched_digests[which] == NULL) napi_throw_range_error(env, NULL, "the digest is not available");
  return fetched_digests[which];
}

static napi_value hash_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) return throw_type(env, "hashCreate(hash)");
  const EVP_MD *md = digest_arg(env, argv[0]);
  return md == NULL ? NULL : new_md_ctx(env, md, NULL);
}

static napi_value hash_update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_type(env, "hashUpdate(context, data)");
  EVP_MD_CTX *ctx = md_ctx_arg(env, argv[0]);
  unsigned char *data;
  size_t data_length;
  if (ctx == NULL || !bytes_arg(env, argv[1], &data, &data_length)) return NULL;
  if (EVP_DigestUpdate(ctx, data, data_length) != 1) napi_throw_error(env, "ERR_TLS_INTERNAL", "digest update failed in OpenSSL");
  return NULL;
}

/** hashDigest(context, out): the digest of everything so far into out; the context goes on. */
static napi_value hash_digest(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_type(env, "hashDigest(context, out)");
  EVP_MD_CTX *ctx = md_ctx_arg(env, argv[0]);
  unsigned char *out;
  size_t out_length;
  if (ctx == NULL || !bytes_arg(env, argv[1], &out, &out_length)) return NULL;
  if (out_length != (size_t)EVP_MD_CTX_get_size(ctx)) {
    napi_throw_range_error(env, NULL, "the output must be the digest's length");
    return NULL;
  }
  EVP_MD_CTX *copy = EVP_MD_CTX_new();
  unsigned int n = 0;
  int ok = copy != NULL && EVP_MD_CTX_copy_ex(copy, ctx) == 1 && EVP_DigestFinal_ex(copy, out, &n) == 1 && n == out_length;
  EVP_MD_CTX_free(copy);
  if (!ok) napi_throw_error(env, "ERR_TLS_INTERNAL", "digest failed in OpenSSL");
  return NULL;
}

static napi_value hash_clone(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) return throw_type(env, "hashClone(context)");
  EVP_MD_CTX *ctx = md_ctx_arg(env, argv[0]);
  return ctx == NULL ? NULL : new_md_ctx(env, NULL, ctx);
}

/** hash(hash, data, out): the digest of data in one call. */
static napi_value hash_once(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return throw_type(env, "hash(hash, data, out)");
  const EVP_MD *md = digest_arg(env, argv[0]);
  unsigned char *data, *out;
  size_t data_length, out_length;
  if (md == NULL || !bytes_arg(env, argv[1], &data, &data_length) || !bytes_arg(env, argv[2], &out, &out_length)) return NULL;
  if (out_length != (size_t)EVP_MD_get_size(md)) {
    napi_throw_range_error(env, NULL, "the output must be the digest's length");
    return NULL;
  }
  unsigned int n = 0;
  if (EVP_Digest(data, data_length, out, &n, md, NULL) != 1 || n != out_length) napi_throw_error(env, "ERR_TLS_INTERNAL", "digest failed in OpenSSL");
  return NULL;
}

static void free_pkey(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  EVP_PKEY_free((EVP_PKEY *)data);
}

/** x25519Key(scalar, publicOut) -> key: the private key from 32 random bytes, its public key X25519(k, 9) written out. */
static napi_value x25519_key(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_type(env, "x25519Key(scalar, publicOut)");
  unsigned char *scalar, *out;
  size_t scalar_length, out_length;
  if (!bytes_arg(env, argv[0], &scalar, &scalar_length) || !bytes_arg(env, argv[1], &out, &out_length)) return NULL;
  if (scalar_length != 32 || out_length != 32) {
    napi_throw_range_error(env, NULL, "X25519 scalars and points are 32 bytes");
    return NULL;
  }
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
  size_t n = 32;
  if (key == NULL || EVP_PKEY_get_raw_public_key(key, out, &n) != 1 || n != 32) {
    EVP_PKEY_free(key);
    napi_throw_error(env, "ERR_TLS_INTERNAL", "X25519 key generation failed in OpenSSL");
    return NULL;
  }
  napi_value external;
  if (napi_create_external(env, key, free_pkey, NULL, &external) != napi_ok) {
    EVP_PKEY_free(key);
    return throw_type(env, "could not create the key");
  }
  return external;
}

/** x25519Derive(key, peer, out) -> true, X25519(k, peer) in out; false when OpenSSL refuses (a low-order point). */
static napi_value x25519_derive(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return throw_type(env, "x25519Derive(key, peer, out)");
  void *data = NULL;
  if (napi_get_value_external(env, argv[0], &data) != napi_ok || data == NULL) return throw_type(env, "expected an X25519 key");
  unsigned char *peer, *out;
  size_t peer_length, out_length;
  if (!bytes_arg(env, argv[1], &peer, &peer_length) || !bytes_arg(env, argv[2], &out, &out_length)) return NULL;
  if (peer_length != 32 || out_length != 32) {
    napi_throw_range_error(env, NULL, "X25519 points and secrets are 32 bytes");
    return NULL;
  }
  EVP_PKEY *theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
  EVP_PKEY_CTX *ctx = theirs != NULL ? EVP_PKEY_CTX_new((EVP_PKEY *)data, NULL) : NULL;
  size_t n = 32;
  int ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, theirs) == 1 &&
           EVP_PKEY_derive(ctx, out, &n) == 1 && n == 32;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(theirs);
  if (!ok) OPENSSL_cleanse(out, out_length);
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"hmac", NULL, hmac, NULL, NULL, NULL, napi_default, NULL},
    {"hash", NULL, hash_once, NULL, NULL, NULL, napi_default, NULL},
    {"hashCreate", NULL, hash_create, NULL, NULL, NULL, napi_default, NULL},
    {"hashUpdate", NULL, hash_update, NULL, NULL, NULL, napi_default, NULL},
    {"hashDigest", NULL, hash_digest, NULL, NULL, NULL, napi_default, NULL},
    {"hashClone", NULL, hash_clone, NULL, NULL, NULL, napi_default, NULL},
    {"x25519Key", NULL, x25519_key, NULL, NULL, NULL, napi_default, NULL},
    {"x25519Derive", NULL, x25519_derive, NULL, NULL, NULL, napi_default, NULL},
    {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
    {"seal", NULL, seal, NULL, NULL, NULL, napi_default, NULL},
    {"open", NULL, open_, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
