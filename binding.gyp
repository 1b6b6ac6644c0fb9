{
  "targets": [
    {
      "target_name": "typetls_aead",
      "sources": ["src/crypto/native/aead.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
