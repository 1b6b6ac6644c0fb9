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
//   x25519(scalar, point, out)          -> true, X25519(scalar, point) in out, on OpenSSL's own X25519 function
//                                          when the process exports it; false for an all-zero result
//   keySchedule(hash, secret, program, out)  a stage of the TLS 1.3 key schedule (a run of HMACs) in one call
//   tls12Prf(hash, secret, labelAndSeed, out)  the TLS 1.2 PRF's P_hash in one call
//
// Every length is checked here too: a wrong nonce, key or output size throws a TypeError/RangeError and
// touches no memory. The key is cleared from the contexts when the context object is collected.

/* SHA256_Init and kin: deprecated as an API in OpenSSL 3, still built and exported (see hmac_sha2). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
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
 * Whole TLS records in one call: the record layer's per-record work (the nonce from the IV and the
 * sequence number, the additional data, the header) done here for every record of a write or of a
 * read, so that a 64 KiB write or read crosses into C once instead of once per record.
 *
 *   sealRecords(context, iv, seq, mode, contentType, version, plaintext, maxFragment, out, offset) -> records
 *     fragments plaintext into records of at most maxFragment bytes and writes each whole record,
 *     header included, at out[offset..]; the caller sized out (mode below).
 *   openRecords(context, iv, seq, mode, version, buffer, start, end, maxBody, results) -> records
 *     opens, in place, the whole records of buffer[start..end) one after the other, and for each
 *     writes four int32 into results: plaintext offset, plaintext length, content type, record end.
 *     It stops before a record it leaves to the caller (not whole in the range, an outer type other
 *     than application_data in TLS 1.3 or 1.2, another version, a body over maxBody or too short for
 *     the mode), after a record whose content type is not application_data (what follows may be
 *     under other keys), after a record whose tag fails (content type -1, its bytes cleared), and
 *     when results is full.
 *
 * Modes: 0 TLS 1.3 (RFC 8446 Section 5.2: outer type application_data and version 0x0303,
 * TLSInnerPlaintext without padding when sealing; when opening, the content type is the last
 * non-zero byte, 0 when there is none, and the plaintext is what precedes it); 1 TLS 1.2 AES-GCM
 * (RFC 5288: nonce = 4-byte salt || 8-byte explicit nonce, which is the sequence number when
 * sealing); 2 TLS 1.2 ChaCha20-Poly1305 (RFC 7905: nonce = IV XOR sequence number). In TLS 1.2 the
 * additional data is seq_num || type || version || plaintext length (RFC 5246 Section 6.2.3.3).
 */

#define MODE_TLS13 0
#define MODE_TLS12_GCM 1
#define MODE_TLS12_CHACHA 2
#define HEADER_LENGTH 5
#define EXPLICIT_NONCE_LENGTH 8

static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 7; i >= 0; i--) {
    p[i] = (unsigned char)(v & 0xff);
    v >>= 8;
  }
}

/** The nonce of a record: IV XOR the padded sequence number (mode 0, 2) or salt || explicit (mode 1). */
static void record_nonce(int mode, const unsigned char *iv, uint64_t seq, const unsigned char *explicit_nonce, unsigned char *nonce) {
  if (mode == MODE_TLS12_GCM) {
    memcpy(nonce, iv, 4);
    memcpy(nonce + 4, explicit_nonce, EXPLICIT_NONCE_LENGTH);
    return;
  }
  unsigned char s[8];
  put_u64(s, seq);
  memcpy(nonce, iv, NONCE_LENGTH);
  for (int i = 0; i < 8; i++) nonce[4 + i] ^= s[i];
}

/** The arguments both calls share: context, IV (12 bytes, or the 4-byte salt in mode 1), sequence number, mode. */
static int record_args(napi_env env, napi_value *argv, aead_context **c, unsigned char **iv, uint64_t *seq, uint32_t *mode) {
  *c = context_arg(env, argv[0]);
  if (*c == NULL) return 0;
  size_t iv_length;
  if (!bytes_arg(env, argv[1], iv, &iv_length)) return 0;
  double s;
  if (napi_get_value_double(env, argv[2], &s) != napi_ok || !(s >= 0) || s > 9007199254740991.0 ||
      napi_get_value_uint32(env, argv[3], mode) != napi_ok || *mode > MODE_TLS12_CHACHA) {
    napi_throw_type_error(env, NULL, "expected a sequence number and a mode 0 to 2");
    return 0;
  }
  *seq = (uint64_t)s;
  if (iv_length != (*mode == MODE_TLS12_GCM ? 4u : (size_t)NONCE_LENGTH)) {
    napi_throw_range_error(env, NULL, "the IV must be 12 bytes (4 for TLS 1.2 AES-GCM)");
    return 0;
  }
  return 1;
}

/** The additional data of a record: its header (TLS 1.3), or seq_num || type || version || length (TLS 1.2). */
static size_t record_aad(uint32_t mode, const unsigned char *header, uint64_t seq, unsigned char type, size_t n, unsigned char *aad) {
  if (mode == MODE_TLS13) {
    memcpy(aad, header, HEADER_LENGTH);
    return HEADER_LENGTH;
  }
  put_u64(aad, seq);
  aad[8] = type;
  aad[9] = header[1];
  aad[10] = header[2];
  aad[11] = (unsigned char)(n >> 8);
  aad[12] = (unsigned char)(n & 0xff);
  return 13;
}

/** The results argument: an Int32Array of at least `min` entries; NULL after throwing. */
static int32_t *results_arg(napi_env env, napi_value v, size_t min, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, v, &type, length, &data, NULL, NULL) != napi_ok || type != napi_int32_array || *length < min) {
    napi_throw_type_error(env, NULL, "results must be an Int32Array, long enough");
    return NULL;
  }
  return (int32_t *)data;
}

static napi_value seal_records(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10)
    return throw_type(env, "sealRecords(context, iv, seq, mode, contentType, version, plaintext, maxFragment, out, offset)");
  aead_context *c;
  unsigned char *iv, *plaintext, *out;
  uint64_t seq;
  uint32_t mode, content_type, version, max_fragment, offset;
  size_t plaintext_length, out_length;
  if (!record_args(env, argv, &c, &iv, &seq, &mode)) return NULL;
  if (napi_get_value_uint32(env, argv[4], &content_type) != napi_ok || content_type > 255 ||
      napi_get_value_uint32(env, argv[5], &version) != napi_ok || version > 0xffff ||
      napi_get_value_uint32(env, argv[7], &max_fragment) != napi_ok || max_fragment == 0 || max_fragment > 16384 ||
      napi_get_value_uint32(env, argv[9], &offset) != napi_ok) return throw_type(env, "bad content type, version, fragment size or offset");
  if (!bytes_arg(env, argv[6], &plaintext, &plaintext_length) || !bytes_arg(env, argv[8], &out, &out_length)) return NULL;
  size_t expansion = HEADER_LENGTH + TAG_LENGTH + (mode == MODE_TLS13 ? 1 : mode == MODE_TLS12_GCM ? EXPLICIT_NONCE_LENGTH : 0);
  size_t records = (plaintext_length + max_fragment - 1) / max_fragment;
  if (offset > out_length || out_length - offset < plaintext_length + records * expansion || plaintext_length > 0x7fffffff) {
    napi_throw_range_error(env, NULL, "the output is too small for the records");
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = direction(c, 1);
  if (ctx == NULL) goto failed;
  unsigned char *at = out + offset;
  for (size_t done = 0; done < plaintext_length; done += max_fragment, seq++) {
    size_t n = plaintext_length - done < max_fragment ? plaintext_length - done : max_fragment;
    size_t body = n + TAG_LENGTH + (mode == MODE_TLS13 ? 1 : mode == MODE_TLS12_GCM ? EXPLICIT_NONCE_LENGTH : 0);
    unsigned char nonce[NONCE_LENGTH], aad[13], explicit_nonce[8];
    size_t aad_length;
    at[0] = (unsigned char)(mode == MODE_TLS13 ? 23 : content_type);
    at[1] = (unsigned char)(mode == MODE_TLS13 ? 3 : version >> 8);
    at[2] = (unsigned char)(mode == MODE_TLS13 ? 3 : version & 0xff);
    at[3] = (unsigned char)(body >> 8);
    at[4] = (unsigned char)(body & 0xff);
    unsigned char *dst = at + HEADER_LENGTH;
    put_u64(explicit_nonce, seq);
    aad_length = record_aad(mode, at, seq, (unsigned char)content_type, n, aad);
    if (mode == MODE_TLS12_GCM) {
      memcpy(dst, explicit_nonce, EXPLICIT_NONCE_LENGTH);
      dst += EXPLICIT_NONCE_LENGTH;
    }
    record_nonce((int)mode, iv, seq, explicit_nonce, nonce);
    int k = 0;
    if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 || EVP_EncryptUpdate(ctx, NULL, &k, aad, (int)aad_length) != 1 ||
        EVP_EncryptUpdate(ctx, dst, &k, plaintext + done, (int)n) != 1) goto failed;
    dst += k;
    if (mode == MODE_TLS13) {
      unsigned char type = (unsigned char)content_type;
      if (EVP_EncryptUpdate(ctx, dst, &k, &type, 1) != 1) goto failed;
      dst += k;
    }
    if (EVP_EncryptFinal_ex(ctx, dst, &k) != 1) goto failed;
    dst += k;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_LENGTH, dst) != 1) goto failed;
    at += HEADER_LENGTH + body;
  }
  napi_value result;
  napi_create_uint32(env, (uint32_t)records, &result);
  return result;
failed:
  napi_throw_error(env, "ERR_TLS_INTERNAL", "AEAD seal failed in OpenSSL");
  return NULL;
}

static napi_value open_records(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10)
    return throw_type(env, "openRecords(context, iv, seq, mode, version, buffer, start, end, maxBody, results)");
  aead_context *c;
  unsigned char *iv, *buffer;
  uint64_t seq;
  uint32_t mode, start, end, max_body;
  int32_t version;
  size_t buffer_length;
  if (!record_args(env, argv, &c, &iv, &seq, &mode)) return NULL;
  if (napi_get_value_int32(env, argv[4], &version) != napi_ok) return throw_type(env, "bad version");
  if (!bytes_arg(env, argv[5], &buffer, &buffer_length)) return NULL;
  if (napi_get_value_uint32(env, argv[6], &start) != napi_ok || napi_get_value_uint32(env, argv[7], &end) != napi_ok ||
      napi_get_value_uint32(env, argv[8], &max_body) != napi_ok) return throw_type(env, "bad range or limit");
  size_t results_length = 0;
  int32_t *results = results_arg(env, argv[9], 4, &results_length);
  if (results == NULL) return NULL;
  if (start > end || end > buffer_length || buffer_length > 0x7fffffff) {
    napi_throw_range_error(env, NULL, "the range is outside the buffer");
    return NULL;
  }
  size_t capacity = results_length / 4;
  size_t min_body = TAG_LENGTH + (mode == MODE_TLS13 ? 1 : mode == MODE_TLS12_GCM ? EXPLICIT_NONCE_LENGTH : 0);
  EVP_CIPHER_CTX *ctx = direction(c, 0);
  if (ctx == NULL) {
    napi_throw_error(env, "ERR_TLS_INTERNAL", "AEAD open failed in OpenSSL");
    return NULL;
  }
  size_t count = 0, at = start;
  while (count < capacity && end - at >= HEADER_LENGTH) {
    unsigned char *h = buffer + at;
    size_t body = ((size_t)h[3] << 8) | h[4];
    int record_version = (h[1] << 8) | h[2];
    if (h[0] != 23 || (version >= 0 && record_version != version) || body > max_body || body < min_body ||
        end - at - HEADER_LENGTH < body) break;
    unsigned char *ciphertext = h + HEADER_LENGTH;
    size_t n = body - TAG_LENGTH;
    unsigned char nonce[NONCE_LENGTH], aad[13];
    record_nonce((int)mode, iv, seq, ciphertext, nonce);
    if (mode == MODE_TLS12_GCM) {
      ciphertext += EXPLICIT_NONCE_LENGTH;
      n -= EXPLICIT_NONCE_LENGTH;
    }
    size_t aad_length = record_aad(mode, h, seq, 23, n, aad);
    int k = 0, tail = 0;
    int ok = EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, ciphertext + n) == 1 &&
             EVP_DecryptUpdate(ctx, NULL, &k, aad, (int)aad_length) == 1 &&
             (n == 0 || EVP_DecryptUpdate(ctx, ciphertext, &k, ciphertext, (int)n) == 1) &&
             EVP_DecryptFinal_ex(ctx, ciphertext + (n > 0 ? k : 0), &tail) == 1;
    int32_t *r = results + 4 * count;
    r[0] = (int32_t)(ciphertext - buffer);
    r[3] = (int32_t)(at + HEADER_LENGTH + body);
    count++;
    seq++;
    at += HEADER_LENGTH + body;
    if (!ok) {
      /* A forged record's plaintext never leaves this function, and nothing after it is opened. */
      OPENSSL_cleanse(ciphertext, n);
      r[1] = 0;
      r[2] = -1;
      break;
    }
    if (mode == MODE_TLS13) {
      size_t inner = n;
      while (inner > 0 && ciphertext[inner - 1] == 0) inner--;
      r[1] = inner > 0 ? (int32_t)(inner - 1) : 0;
      r[2] = inner > 0 ? ciphertext[inner - 1] : 0;
    } else {
      r[1] = (int32_t)n;
      r[2] = 23;
    }
    if (r[2] != 23) break;
  }
  napi_value result;
  napi_create_uint32(env, (uint32_t)count, &result);
  return result;
}

/*
 * openSplitRecord(context, iv, seq, mode, version, first, start, second, maxBody, results) -> 0 or 1
 *   opens, in place, the one record that begins at first[start..] and ends inside second (two
 *   socket reads: most 16 KiB records of a stream are cut by a 64 KiB read), without joining its
 *   pieces: results gets five int32: the plaintext's offset in first and its length there, the
 *   content type as openRecords gives it (-1 when the tag failed, both pieces then cleared), the
 *   record's end in second and the plaintext's length in second (from 0). 0 when it leaves the record to the caller: the header
 *   (and TLS 1.2 AES-GCM's explicit nonce) not all in first, or what openRecords would not take.
 */
static napi_value open_split_record(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 10)
    return throw_type(env, "openSplitRecord(context, iv, seq, mode, version, first, start, second, maxBody, results)");
  aead_context *c;
  unsigned char *iv, *first, *second;
  uint64_t seq;
  uint32_t mode, start, max_body;
  int32_t version;
  size_t first_length, second_length;
  if (!record_args(env, argv, &c, &iv, &seq, &mode)) return NULL;
  if (napi_get_value_int32(env, argv[4], &version) != napi_ok) return throw_type(env, "bad version");
  if (!bytes_arg(env, argv[5], &first, &first_length) || !bytes_arg(env, argv[7], &second, &second_length)) return NULL;
  if (napi_get_value_uint32(env, argv[6], &start) != napi_ok || napi_get_value_uint32(env, argv[8], &max_body) != napi_ok)
    return throw_type(env, "bad offset or limit");
  size_t results_length = 0;
  int32_t *r = results_arg(env, argv[9], 5, &results_length);
  if (r == NULL) return NULL;
  if (start > first_length || first_length > 0x7fffffff || second_length > 0x7fffffff) {
    napi_throw_range_error(env, NULL, "the offset is outside the buffer");
    return NULL;
  }
  napi_value result;
  size_t explicit_length = mode == MODE_TLS12_GCM ? EXPLICIT_NONCE_LENGTH : 0;
  size_t in_first = first_length - start;
  napi_create_uint32(env, 0, &result);
  if (in_first < HEADER_LENGTH + explicit_length) return result;
  unsigned char *h = first + start;
  size_t body = ((size_t)h[3] << 8) | h[4];
  int record_version = (h[1] << 8) | h[2];
  size_t min_body = TAG_LENGTH + (mode == MODE_TLS13 ? 1 : explicit_length);
  /* Split: the body starts in first and ends in second. */
  if (h[0] != 23 || (version >= 0 && record_version != version) || body > max_body || body < min_body ||
      in_first - HEADER_LENGTH >= body || second_length < body - (in_first - HEADER_LENGTH)) return result;
  EVP_CIPHER_CTX *ctx = direction(c, 0);
  if (ctx == NULL) {
    napi_throw_error(env, "ERR_TLS_INTERNAL", "AEAD open failed in OpenSSL");
    return NULL;
  }
  unsigned char *a = h + HEADER_LENGTH + explicit_length; /* the ciphertext's first piece */
  size_t a_length = in_first - HEADER_LENGTH - explicit_length;
  size_t n = body - TAG_LENGTH - explicit_length; /* ciphertext length */
  size_t ct_a = a_length < n ? a_length : n;
  size_t ct_b = n - ct_a;
  unsigned char tag[TAG_LENGTH];
  size_t tag_in_a = a_length - ct_a;
  memcpy(tag, a + ct_a, tag_in_a);
  memcpy(tag + tag_in_a, second + ct_b, TAG_LENGTH - tag_in_a);
  unsigned char nonce[NONCE_LENGTH], aad[13];
  record_nonce((int)mode, iv, seq, h + HEADER_LENGTH, nonce);
  size_t aad_length = record_aad(mode, h, seq, 23, n, aad);
  int k = 0, tail = 0;
  /* GCM and ChaCha20-Poly1305 are stream modes in EVP: the two pieces decrypt as one. */
  int ok = EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LENGTH, tag) == 1 &&
           EVP_DecryptUpdate(ctx, NULL, &k, aad, (int)aad_length) == 1 &&
           (ct_a == 0 || (EVP_DecryptUpdate(ctx, a, &k, a, (int)ct_a) == 1 && (size_t)k == ct_a)) &&
           (ct_b == 0 || (EVP_DecryptUpdate(ctx, second, &k, second, (int)ct_b) == 1 && (size_t)k == ct_b)) &&
           EVP_DecryptFinal_ex(ctx, second + ct_b, &tail) == 1 && tail == 0;
  r[0] = (int32_t)(a - first);
  r[3] = (int32_t)(body - (in_first - HEADER_LENGTH));
  size_t plain = n; /* the plaintext's length, before the content type in TLS 1.3 */
  if (!ok) {
    OPENSSL_cleanse(a, ct_a);
    OPENSSL_cleanse(second, ct_b);
    plain = 0;
    r[2] = -1;
  } else if (mode == MODE_TLS13) {
    /* The content type is the last non-zero byte of the two pieces; the plaintext precedes it. */
    size_t inner = n;
    while (inner > 0 && (inner > ct_a ? second[inner - ct_a - 1] : a[inner - 1]) == 0) inner--;
    r[2] = inner == 0 ? 0 : inner > ct_a ? second[inner - ct_a - 1] : a[inner - 1];
    plain = inner == 0 ? 0 : inner - 1;
  } else {
    r[2] = 23;
  }
  r[1] = (int32_t)(plain < ct_a ? plain : ct_a);
  r[4] = (int32_t)(plain - (size_t)r[1]);
  napi_create_uint32(env, 1, &result);
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

/*
 * HMAC on OpenSSL's SHA-2 block functions themselves (SHA256_Init and kin, deprecated in OpenSSL 3
 * as an API but the same code and the same SHA-NI/AVX2 assembly that its EVP digests run): the
 * handshake's HMACs are over a few dozen bytes, where EVP's per-call dispatch (context, provider
 * lookups, init) costs more than the four compression blocks. SHA-256, SHA-384 and SHA-512 only
 * (the hashes of TLS 1.3 and of the TLS 1.2 PRF); `which` as in hmac().
 */
typedef union {
  SHA256_CTX s256;
  SHA512_CTX s512;
} sha2_ctx;

static int sha2_size(uint32_t which) { return which == 0 ? 32 : which == 1 ? 48 : 64; }
static int sha2_block(uint32_t which) { return which == 0 ? 64 : 128; }
static void sha2_init(uint32_t which, sha2_ctx *c) {
  if (which == 0) SHA256_Init(&c->s256);
  else if (which == 1) SHA384_Init(&c->s512);
  else SHA512_Init(&c->s512);
}
static void sha2_update(uint32_t which, sha2_ctx *c, const unsigned char *data, size_t length) {
  if (length == 0) return;
  if (which == 0) SHA256_Update(&c->s256, data, length);
  else SHA512_Update(&c->s512, data, length);
}
static void sha2_final(uint32_t which, sha2_ctx *c, unsigned char *out) {
  if (which == 0) SHA256_Final(out, &c->s256);
  else if (which == 1) SHA384_Final(out, &c->s512);
  else SHA512_Final(out, &c->s512);
}

/* RFC 2104 over SHA-2: H((K ^ opad) || H((K ^ ipad) || a || b)); out gets sha2_size(which) bytes. */
static void hmac_sha2(uint32_t which, const unsigned char *key, size_t key_length, const unsigned char *a, size_t a_length,
                      const unsigned char *b, size_t b_length, unsigned char *out) {
  int block = sha2_block(which), size = sha2_size(which);
  unsigned char k[128], pad[128], inner[64];
  sha2_ctx c;
  size_t k_length = key_length;
  if (key_length > (size_t)block) {
    sha2_init(which, &c);
    sha2_update(which, &c, key, key_length);
    sha2_final(which, &c, k);
    k_length = (size_t)size;
  } else if (key_length > 0) {
    memcpy(k, key, key_length);
  }
  memset(k + k_length, 0, (size_t)block - k_length);
  for (int i = 0; i < block; i++) pad[i] = k[i] ^ 0x36;
  sha2_init(which, &c);
  sha2_update(which, &c, pad, (size_t)block);
  sha2_update(which, &c, a, a_length);
  sha2_update(which, &c, b, b_length);
  sha2_final(which, &c, inner);
  for (int i = 0; i < block; i++) pad[i] = k[i] ^ 0x5c;
  sha2_init(which, &c);
  sha2_update(which, &c, pad, (size_t)block);
  sha2_update(which, &c, inner, (size_t)size);
  sha2_final(which, &c, out);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(inner, sizeof inner);
  OPENSSL_cleanse(&c, sizeof c);
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
  if (which <= 2) {
    hmac_sha2(which, key, key_length, data, data_length, NULL, 0, out);
    return NULL;
  }
  unsigned int n = 0;
  if (!hmac_fetched(md, key, key_length, data, data_length, out, &n) || n != out_length) {
    OPENSSL_cleanse(out, out_length);
    napi_throw_error(env, "ERR_TLS_INTERNAL", "HMAC failed in OpenSSL");
  }
  return NULL;
}

/*
 * The arguments of keySchedule and tls12Prf: a SHA-2 hash (0 SHA-256, 1 SHA-384, 2 SHA-512) and three
 * byte arrays; false after throwing.
 */
static int sha2_bytes_args(napi_env env, napi_callback_info info, const char *usage, uint32_t *which, unsigned char **a,
                           size_t *a_length, unsigned char **b, size_t *b_length, unsigned char **c, size_t *c_length) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 4) return throw_type(env, usage), 0;
  if (napi_get_value_uint32(env, argv[0], which) != napi_ok || *which > 2) return throw_type(env, "hash must be 0 to 2"), 0;
  return bytes_arg(env, argv[1], a, a_length) && bytes_arg(env, argv[2], b, b_length) && bytes_arg(env, argv[3], c, c_length);
}

/*
 * keySchedule(hash, secret, program, out): a run of TLS 1.3 key schedule steps (RFC 8446 Section 7.1,
 * RFC 5869) in one call, each an HMAC keyed by the given secret or by an earlier step's output, so
 * that a stage of the schedule (Derive-Secret "derived", HKDF-Extract, the two traffic secrets, their
 * write keys and IVs, the finished keys) is one call and not a dozen. The program is a sequence of
 *   u8 op, u8 key (0xff: `secret`; else the index of an earlier step), u16 n, n bytes
 * with op 0, HKDF-Expand-Label's single block: HMAC(key, bytes || 0x01) cut to the length that the
 * HkdfLabel in `bytes` starts with; op 1, HMAC(key, bytes) whole (HKDF-Extract with key as the
 * salt, a Finished verify_data). The outputs follow one another in out, which they must fill.
 */
#define SCHEDULE_MAX_STEPS 32

static napi_value key_schedule(napi_env env, napi_callback_info info) {
  uint32_t which = 0;
  unsigned char *secret, *program, *out;
  size_t secret_length, program_length, out_length;
  if (!sha2_bytes_args(env, info, "keySchedule(hash, secret, program, out)", &which, &secret, &secret_length, &program, &program_length,
                       &out, &out_length)) return NULL;
  size_t size = (size_t)sha2_size(which);
  size_t offsets[SCHEDULE_MAX_STEPS], lengths[SCHEDULE_MAX_STEPS];
  unsigned char block[64];
  static const unsigned char one = 1;
  size_t at = 0, p = 0;
  int steps = 0;
  const char *bad = NULL;
  while (p < program_length && bad == NULL) {
    if (program_length - p < 4) { bad = "the program is cut short"; break; }
    unsigned op = program[p], key = program[p + 1];
    size_t n = ((size_t)program[p + 2] << 8) | program[p + 3];
    const unsigned char *bytes = program + p + 4;
    if (program_length - p - 4 < n) { bad = "the program is cut short"; break; }
    if (steps == SCHEDULE_MAX_STEPS) { bad = "the program has too many steps"; break; }
    if (key != 0xff && key >= (unsigned)steps) { bad = "a step is keyed by a later one"; break; }
    const unsigned char *k = key == 0xff ? secret : out + offsets[key];
    size_t k_length = key == 0xff ? secret_length : lengths[key];
    size_t length;
    if (op == 0) {
      length = n >= 2 ? ((size_t)bytes[0] << 8) | bytes[1] : 0;
      if (length == 0 || length > size) { bad = "an HkdfLabel asks for more than one block"; break; }
    } else if (op == 1) {
      length = size;
    } else {
      bad = "unknown step";
      break;
    }
    if (out_length - at < length) { bad = "the output is too short"; break; }
    hmac_sha2(which, k, k_length, bytes, n, op == 0 ? &one : NULL, op == 0 ? 1 : 0, block);
    memcpy(out + at, block, length);
    offsets[steps] = at;
    lengths[steps] = length;
    steps++;
    at += length;
    p += 4 + n;
  }
  OPENSSL_cleanse(block, sizeof block);
  if (bad == NULL && at != out_length) bad = "the output is longer than the program's steps";
  if (bad != NULL) {
    OPENSSL_cleanse(out, out_length);
    napi_throw_range_error(env, NULL, bad);
  }
  return NULL;
}

/*
 * tls12Prf(hash, secret, labelAndSeed, out): RFC 5246 Section 5, P_hash(secret, label || seed) filling
 * out: A(i) = HMAC(secret, A(i-1)), out = HMAC(secret, A(1) || label || seed) || HMAC(secret, A(2) || ...).
 */
static napi_value tls12_prf(napi_env env, napi_callback_info info) {
  uint32_t which = 0;
  unsigned char *secret, *seed, *out;
  size_t secret_length, seed_length, out_length;
  if (!sha2_bytes_args(env, info, "tls12Prf(hash, secret, labelAndSeed, out)", &which, &secret, &secret_length, &seed, &seed_length,
                       &out, &out_length)) return NULL;
  size_t size = (size_t)sha2_size(which);
  unsigned char a[64], block[64];
  hmac_sha2(which, secret, secret_length, seed, seed_length, NULL, 0, a);
  for (size_t at = 0; at < out_length; at += size) {
    hmac_sha2(which, secret, secret_length, a, size, seed, seed_length, block);
    size_t take = out_length - at < size ? out_length - at : size;
    memcpy(out + at, block, take);
    if (at + size < out_length) hmac_sha2(which, secret, secret_length, a, size, NULL, 0, a);
  }
  OPENSSL_cleanse(a, sizeof a);
  OPENSSL_cleanse(block, sizeof block);
  return NULL;
}

/*
 * Transcript hashing: a running hash per transcript, digested through a copy. SHA-2 runs on the
 * block functions (hmac_sha2 says why), whose state is a plain struct copied by value; SHA-1 and MD5
 * (the TLS 1.0/1.1 transcript) on an EVP_MD_CTX.
 */
typedef struct {
  uint32_t which;
  sha2_ctx sha; /* which <= 2 */
  EVP_MD_CTX *evp; /* else */
} running_hash;

static void free_running_hash(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  running_hash *h = (running_hash *)data;
  if (h->evp != NULL) EVP_MD_CTX_free(h->evp);
  OPENSSL_cleanse(h, sizeof *h);
  free(h);
}

/** A new running hash wrapped for JavaScript: a fresh one for `which`, or a copy of `from`. */
static napi_value new_running_hash(napi_env env, uint32_t which, const running_hash *from) {
  running_hash *h = (running_hash *)calloc(1, sizeof *h);
  int ok = h != NULL;
  if (ok) {
    h->which = from != NULL ? from->which : which;
    if (h->which <= 2) {
      if (from != NULL) h->sha = from->sha;
      else sha2_init(h->which, &h->sha);
    } else {
      pthread_once(&digests_once, fetch_digests);
      h->evp = EVP_MD_CTX_new();
      ok = h->evp != NULL && (from != NULL ? EVP_MD_CTX_copy_ex(h->evp, from->evp)
                                           : fetched_digests[which] != NULL && EVP_DigestInit_ex(h->evp, fetched_digests[which], NULL)) == 1;
    }
  }
  napi_value external;
  if (!ok || napi_create_external(env, h, free_running_hash, NULL, &external) != napi_ok) {
    if (h != NULL) free_running_hash(env, h, NULL);
    napi_throw_error(env, "ERR_TLS_INTERNAL", "could not make a digest context");
    return NULL;
  }
  return external;
}

static running_hash *running_hash_arg(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_external || napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "expected a hash context");
    return NULL;
  }
  return (running_hash *)data;
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
  uint32_t which = 0;
  if (napi_get_value_uint32(env, argv[0], &which) != napi_ok || which > 4) return throw_type(env, "hash must be 0 to 4");
  return new_running_hash(env, which, NULL);
}

static napi_value hash_update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_type(env, "hashUpdate(context, data)");
  running_hash *h = running_hash_arg(env, argv[0]);
  unsigned char *data;
  size_t data_length;
  if (h == NULL || !bytes_arg(env, argv[1], &data, &data_length)) return NULL;
  if (h->which <= 2) sha2_update(h->which, &h->sha, data, data_length);
  else if (EVP_DigestUpdate(h->evp, data, data_length) != 1) napi_throw_error(env, "ERR_TLS_INTERNAL", "digest update failed in OpenSSL");
  return NULL;
}

/** hashDigest(context, out): the digest of everything so far into out; the context goes on. */
static napi_value hash_digest(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2) return throw_type(env, "hashDigest(context, out)");
  running_hash *h = running_hash_arg(env, argv[0]);
  unsigned char *out;
  size_t out_length;
  if (h == NULL || !bytes_arg(env, argv[1], &out, &out_length)) return NULL;
  if (out_length != (h->which <= 2 ? (size_t)sha2_size(h->which) : (size_t)EVP_MD_CTX_get_size(h->evp))) {
    napi_throw_range_error(env, NULL, "the output must be the digest's length");
    return NULL;
  }
  if (h->which <= 2) {
    sha2_ctx copy = h->sha;
    sha2_final(h->which, &copy, out);
    OPENSSL_cleanse(&copy, sizeof copy);
    return NULL;
  }
  EVP_MD_CTX *copy = EVP_MD_CTX_new();
  unsigned int n = 0;
  int ok = copy != NULL && EVP_MD_CTX_copy_ex(copy, h->evp) == 1 && EVP_DigestFinal_ex(copy, out, &n) == 1 && n == out_length;
  EVP_MD_CTX_free(copy);
  if (!ok) napi_throw_error(env, "ERR_TLS_INTERNAL", "digest failed in OpenSSL");
  return NULL;
}

static napi_value hash_clone(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) return throw_type(env, "hashClone(context)");
  running_hash *h = running_hash_arg(env, argv[0]);
  return h == NULL ? NULL : new_running_hash(env, 0, h);
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
  uint32_t which = 0;
  napi_get_value_uint32(env, argv[0], &which);
  if (which <= 2) {
    sha2_ctx c;
    sha2_init(which, &c);
    sha2_update(which, &c, data, data_length);
    sha2_final(which, &c, out);
    OPENSSL_cleanse(&c, sizeof c);
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

/*
 * OpenSSL's X25519 function itself (crypto/ec/curve25519.c: the scalar multiplication that its EVP
 * X25519 key exchange runs, constant-time, with the x86-64 ADX/BMI2 field arithmetic, returning 0 for
 * an all-zero result), when the process exports it: Node's binary, which links OpenSSL statically,
 * does. The EVP path around it (key objects, a context, the key management and key exchange fetched
 * by name for each of them) costs about as much as the multiplication. A Node linked against a shared
 * libcrypto, which keeps ossl_ names internal, gets the EVP path.
 */
typedef int (*x25519_fn)(uint8_t out[32], const uint8_t scalar[32], const uint8_t point[32]);
static x25519_fn raw_x25519 = NULL;
static pthread_once_t x25519_once = PTHREAD_ONCE_INIT;
static void find_x25519(void) { raw_x25519 = (x25519_fn)dlsym(RTLD_DEFAULT, "ossl_x25519"); }

/*
 * x25519(scalar, point, out) -> true, X25519(scalar, point) in out (RFC 7748 Section 5): the public key
 * with the base point (9), the shared secret with the peer's; false (out cleared) when the result is
 * all zeros (a low-order point). No key object is left behind.
 */
static napi_value x25519(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return throw_type(env, "x25519(scalar, point, out)");
  unsigned char *scalar, *point, *out;
  size_t scalar_length, point_length, out_length;
  if (!bytes_arg(env, argv[0], &scalar, &scalar_length) || !bytes_arg(env, argv[1], &point, &point_length) ||
      !bytes_arg(env, argv[2], &out, &out_length)) return NULL;
  if (scalar_length != 32 || point_length != 32 || out_length != 32) {
    napi_throw_range_error(env, NULL, "X25519 scalars, points and results are 32 bytes");
    return NULL;
  }
  pthread_once(&x25519_once, find_x25519);
  int ok;
  if (raw_x25519 != NULL) {
    ok = raw_x25519(out, scalar, point) == 1;
  } else {
    EVP_PKEY *ours = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, scalar, 32);
    EVP_PKEY *theirs = ours != NULL ? EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, point, 32) : NULL;
    EVP_PKEY_CTX *ctx = theirs != NULL ? EVP_PKEY_CTX_new(ours, NULL) : NULL;
    size_t n = 32;
    ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, theirs) == 1 && EVP_PKEY_derive(ctx, out, &n) == 1 &&
         n == 32;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(theirs);
    EVP_PKEY_free(ours);
  }
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
    {"x25519", NULL, x25519, NULL, NULL, NULL, napi_default, NULL},
    {"keySchedule", NULL, key_schedule, NULL, NULL, NULL, napi_default, NULL},
    {"tls12Prf", NULL, tls12_prf, NULL, NULL, NULL, napi_default, NULL},
    {"create", NULL, create, NULL, NULL, NULL, napi_default, NULL},
    {"seal", NULL, seal, NULL, NULL, NULL, napi_default, NULL},
    {"open", NULL, open_, NULL, NULL, NULL, napi_default, NULL},
    {"sealRecords", NULL, seal_records, NULL, NULL, NULL, napi_default, NULL},
    {"openRecords", NULL, open_records, NULL, NULL, NULL, napi_default, NULL},
    {"openSplitRecord", NULL, open_split_record, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
