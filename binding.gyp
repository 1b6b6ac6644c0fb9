{
  "targets": [
    {
      "target_name": "typetls_crypto",
      "sources": ["src/crypto/native/crypto.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
