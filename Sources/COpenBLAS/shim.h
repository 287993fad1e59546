// OpenBLAS for Swift: the CBLAS interface and the thread-count controls, and the floating-point
// mode of the threads that compute.
#include <cblas.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

/// Flush-to-zero and denormals-are-zero for the calling thread (MXCSR bits 15 and 6): a result or
/// operand below FLT_MIN is taken as 0. Without it, Adam's first moment of parameters whose
/// gradients vanish decays into subnormal numbers, which x86 processors handle through slow
/// microcode assists on every step. A no-op elsewhere.
static inline void vae_flush_subnormals(void) {
#if defined(__x86_64__)
    _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

// LAPACK's symmetric eigensolver (divide and conquer), which OpenBLAS exports under its Fortran
// name. Every argument is a pointer; the two trailing lengths are the hidden lengths gfortran
// passes for the CHARACTER arguments (1 each).
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
