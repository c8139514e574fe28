#include <cblas.h>

// LAPACK's symmetric eigensolver, exported by libopenblas (Fortran calling convention).
void ssyevd_(const char *jobz, const char *uplo, const int *n, float *a, const int *lda,
             float *w, float *work, const int *lwork, int *iwork, const int *liwork, int *info);
