#ifndef APUS_CBLAS_SHIM_H
#define APUS_CBLAS_SHIM_H
#include <cblas.h>
/* Provided by OpenBLAS; declared here so callers can pin the thread count on small machines. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
/* The kernel family OpenBLAS chose (e.g. "Haswell", "SkylakeX"; OPENBLAS_CORETYPE overrides its detection). */
char *openblas_get_corename(void);
#endif
