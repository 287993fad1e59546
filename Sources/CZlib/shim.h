// zlib for Swift: the header, plus static inline wrappers for its function-like macros.
#include <zlib.h>

/// windowBits 15: a zlib stream; 15 + 16: a gzip file.
static inline int vae_deflateInit2(z_streamp stream, int level, int windowBits, int strategy) {
    return deflateInit2(stream, level, Z_DEFLATED, windowBits, 8, strategy);
}

/// windowBits 15: zlib data; 15 + 32: a zlib or a gzip header, detected from the data.
static inline int vae_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
