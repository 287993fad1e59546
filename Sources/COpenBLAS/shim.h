// OpenBLAS for Swift: the CBLAS interface and the thread-count controls.
#include <cblas.h>

// LAPACK's symmetric eigensolver (divide and conquer), which OpenBLAS exports under its Fortran
// name. Every argument is a pointer; the two trailing lengths are the hidden lengths gfortran
// passes for the CHARACTER arguments (1 each).
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda, float *w,
             float *work, const int *lwork, int *iwork, const int *liwork, int *info,
             size_t jobz_length, size_t uplo_length);
